//! Whether an Ogg file ends with its end-of-stream page (a cut-off Ogg file declares no length).

use super::DecodeError;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

// ---- Ogg: does the file end with an end-of-stream page? ----
//
// An Ogg file is a run of pages (RFC 3533). Each starts with a 27-byte header:
//
//   0..4   capture pattern "OggS"        14..18 stream serial number
//   4      version (0)                   18..22 page sequence number
//   5      header type flags             22..26 CRC-32 of the whole page (this field as 0)
//   6..14  granule position              26     number of segments (lacing values)
//
// then the segment table (one lacing value, 0 to 255, per segment) and the page's data, as
// many bytes as the lacing values add up to. The header type's bit 0x04 marks the last page
// of a logical stream (end of stream), which every complete stream ends with. A file cut short
// ends instead with an incomplete page, or, cut at a page boundary, with a complete page
// without that flag; and symphonia's Ogg reader then declares no length, so the decoded length
// cannot be compared with one.

/// The largest Ogg page: header, 255 lacing values, and 255 segments of 255 bytes.
pub(super) const OGG_MAX_PAGE_BYTES: usize = 27 + 255 + 255 * 255;

/// How much of the end of an Ogg file is read: always more than a whole page.
pub(super) const OGG_TAIL_BYTES: u64 = 64 * 1024;

/// Whether the Ogg file `path` ends with a complete end-of-stream page (see
/// [`ogg_tail_ends_stream`]); reads only its last [`OGG_TAIL_BYTES`].
pub(super) fn ogg_file_ends_stream(path: &Path) -> Result<bool, DecodeError> {
    let cannot_read =
        |e: std::io::Error| DecodeError::new(format!("cannot read '{}': {e}", path.display()));
    let mut file = File::open(path).map_err(cannot_read)?;
    let len = file.metadata().map_err(cannot_read)?.len();
    file.seek(SeekFrom::Start(len.saturating_sub(OGG_TAIL_BYTES)))
        .map_err(cannot_read)?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail).map_err(cannot_read)?;
    Ok(ogg_tail_ends_stream(&tail))
}

/// Whether the last genuine Ogg page in `tail` (the end of a file, at least
/// [`OGG_MAX_PAGE_BYTES`] long unless it is the whole file) is complete and has the
/// end-of-stream flag.
///
/// "OggS" can occur by chance inside compressed data, so a page counts only if it is whole
/// and its CRC matches; the search goes backwards from the end to the first such page. A file
/// cut inside its last page has, before the cut, a whole page without the flag (or, if even
/// that lies outside `tail`, no whole page at all), so it is refused either way. Bytes after a
/// whole end-of-stream page (e.g. a tag a program appended) are ignored: the stream itself is
/// complete. The flag may belong to any of the file's logical streams; in a file holding
/// several, the last page written is the end of one of them.
pub(super) fn ogg_tail_ends_stream(tail: &[u8]) -> bool {
    debug_assert!(OGG_MAX_PAGE_BYTES as u64 <= OGG_TAIL_BYTES);
    let mut end = tail.len();
    while let Some(start) = tail[..end].windows(4).rposition(|w| w == b"OggS") {
        if let Some(page) = whole_ogg_page(&tail[start..]) {
            return page[5] & 0x04 != 0;
        }
        // Look for a page starting before this one.
        end = start + 3;
    }
    false
}

/// The Ogg page at the start of `bytes` if it is whole (header, segment table and data all
/// present), of version 0, and its CRC matches; else `None`.
pub(super) fn whole_ogg_page(bytes: &[u8]) -> Option<&[u8]> {
    let header = bytes.get(..27)?;
    if &header[..4] != b"OggS" || header[4] != 0 {
        return None;
    }
    let segments = usize::from(header[26]);
    let table = bytes.get(27..27 + segments)?;
    let data_len: usize = table.iter().map(|&n| usize::from(n)).sum();
    let page = bytes.get(..27 + segments + data_len)?;
    let stored = u32::from_le_bytes([page[22], page[23], page[24], page[25]]);
    (ogg_crc(page) == stored).then_some(page)
}

/// The Ogg CRC-32 of a page: polynomial 0x04C11DB7, initial value 0, no bit reflection, no
/// final XOR, computed with the CRC field (bytes 22..26) taken as zero.
pub(super) fn ogg_crc(page: &[u8]) -> u32 {
    let mut crc = 0u32;
    for (i, &byte) in page.iter().enumerate() {
        let byte = if (22..26).contains(&i) { 0 } else { byte };
        crc ^= u32::from(byte) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04C1_1DB7
            } else {
                crc << 1
            };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One Ogg page with a correct CRC: `flags` in the header type, `data` in segments.
    fn page(flags: u8, sequence: u32, data: &[u8]) -> Vec<u8> {
        let mut lacing = vec![255u8; data.len() / 255];
        lacing.push((data.len() % 255) as u8);
        // 255 full segments: the packet goes on in the next page (no closing 0).
        lacing.truncate(255);
        let mut page = b"OggS".to_vec();
        page.push(0); // version
        page.push(flags);
        page.extend_from_slice(&1000u64.to_le_bytes()); // granule position
        page.extend_from_slice(&7u32.to_le_bytes()); // serial
        page.extend_from_slice(&sequence.to_le_bytes());
        page.extend_from_slice(&[0; 4]); // CRC, filled in below
        page.push(lacing.len() as u8);
        page.extend_from_slice(&lacing);
        page.extend_from_slice(data);
        let crc = ogg_crc(&page);
        page[22..26].copy_from_slice(&crc.to_le_bytes());
        page
    }

    /// Data that holds the capture pattern by chance, as compressed audio can.
    fn data(len: usize) -> Vec<u8> {
        let mut d: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
        d[len / 2..len / 2 + 4].copy_from_slice(b"OggS");
        d
    }

    #[test]
    fn the_ogg_crc_is_the_standard_one() {
        // The same CRC as POSIX cksum's (CRC-32/CKSUM, check value 0x765E7680 for
        // "123456789") without its final XOR with all ones.
        let mut bytes = vec![0u8; 26];
        bytes.extend_from_slice(b"123456789");
        // Bytes 22..26 count as zero anyway; with all 26 leading zeros the CRC (init 0) is
        // that of the nine digits alone.
        assert_eq!(ogg_crc(&bytes), 0x765E_7680 ^ 0xFFFF_FFFF);
    }

    #[test]
    fn a_complete_end_of_stream_page_is_accepted() {
        let mut file = page(0x02, 0, &data(30)); // beginning of stream
        file.extend(page(0, 1, &data(600)));
        file.extend(page(0x04, 2, &data(300)));
        assert!(ogg_tail_ends_stream(&file));
        // Also when the tail starts inside an earlier page, and with bytes appended.
        assert!(ogg_tail_ends_stream(&file[40..]));
        let mut tagged = file.clone();
        tagged.extend_from_slice(b"TAG and some trailing bytes");
        assert!(ogg_tail_ends_stream(&tagged));
        // A single page that both begins and ends its stream.
        assert!(ogg_tail_ends_stream(&page(0x06, 0, &data(100))));
        // An end-of-stream page holding only an empty packet.
        let mut empty_last = page(0, 0, &data(100));
        empty_last.extend(page(0x04, 1, &[]));
        assert!(ogg_tail_ends_stream(&empty_last));
    }

    #[test]
    fn a_last_page_without_the_end_of_stream_flag_is_refused() {
        let mut file = page(0x02, 0, &data(30));
        file.extend(page(0, 1, &data(600)));
        file.extend(page(0, 2, &data(300)));
        assert!(!ogg_tail_ends_stream(&file));
    }

    #[test]
    fn a_truncated_last_page_is_refused() {
        let mut file = page(0x02, 0, &data(30));
        file.extend(page(0, 1, &data(600)));
        let last = page(0x04, 2, &data(300));
        for cut in [1, 10, 27, 29, last.len() / 2, last.len() - 1] {
            let mut cut_file = file.clone();
            cut_file.extend_from_slice(&last[..cut]);
            assert!(!ogg_tail_ends_stream(&cut_file), "cut after {cut} bytes");
            // The cut last page alone (no whole page in the tail at all).
            assert!(!ogg_tail_ends_stream(&last[..cut]), "alone, {cut} bytes");
        }
        // A whole page whose bytes are damaged fails its CRC and does not count.
        let mut damaged = file.clone();
        let mut last_damaged = last.clone();
        let n = last_damaged.len();
        last_damaged[n - 5] ^= 0x40;
        damaged.extend(last_damaged);
        assert!(!ogg_tail_ends_stream(&damaged));
        assert!(!ogg_tail_ends_stream(b""));
        assert!(!ogg_tail_ends_stream(b"OggS"));
    }

    #[test]
    fn the_tail_holds_a_whole_page_of_the_largest_size() {
        let big = page(0x04, 0, &vec![0x55; 255 * 255]);
        assert_eq!(big.len(), OGG_MAX_PAGE_BYTES);
        assert!(OGG_MAX_PAGE_BYTES as u64 <= OGG_TAIL_BYTES);
        assert!(ogg_tail_ends_stream(&big));
    }
}
