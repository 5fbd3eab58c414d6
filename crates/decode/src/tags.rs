//! The common text tags of a file, as Vorbis comment fields (kept in a FLAC output).

use symphonia::core::formats::FormatReader;
use symphonia::core::meta::StandardTag;

/// The common text tags of the file open in `format` (those read before the first packet:
/// the container's own tags and any ID3/APE tag the probe found), for the whole file and for
/// the audio track `track_id`, as Vorbis comment fields (see [`vorbis_comment_of`]). When the
/// file holds several tag revisions (e.g. an ID3v2 tag and an ID3v1 tag), a field in a later
/// one replaces every value of that field from earlier ones. Pictures and other tags are left
/// out.
pub(super) fn text_tags(format: &mut dyn FormatReader, track_id: u32) -> Vec<(String, String)> {
    let mut tags: Vec<(String, String)> = Vec::new();
    let mut metadata = format.metadata();
    loop {
        if let Some(revision) = metadata.current() {
            let track_tags = revision
                .per_track
                .iter()
                .filter(|t| t.track_id == u64::from(track_id))
                .flat_map(|t| &t.metadata.tags);
            let mut fields: Vec<(String, String)> = Vec::new();
            // A year alone counts as DATE only when the revision has no full date.
            let mut year = None;
            for tag in revision.media.tags.iter().chain(track_tags) {
                if let Some(StandardTag::RecordingYear(y) | StandardTag::ReleaseYear(y)) = &tag.std
                {
                    year.get_or_insert_with(|| y.to_string());
                } else if let Some((key, value)) = tag.std.as_ref().and_then(vorbis_comment_of)
                    && !value.is_empty()
                {
                    let field = (key.to_string(), value);
                    if !fields.contains(&field) {
                        fields.push(field);
                    }
                }
            }
            if let Some(year) = year
                && !fields.iter().any(|(k, _)| k == "DATE")
            {
                fields.push(("DATE".to_string(), year));
            }
            tags.retain(|(key, _)| !fields.iter().any(|(k, _)| k == key));
            tags.extend(fields);
        }
        if metadata.pop().is_none() {
            break;
        }
    }
    tags
}

/// The Vorbis comment field (name, value) for a standard tag Lacquer carries over: title,
/// artist, album, album artist, track and disc number and total, date, genre, comment (and
/// description), composer and ISRC; `None` for any other tag. A year alone (ID3v2.3's TYER,
/// a Vorbis YEAR) is not mapped here: [`text_tags`] writes it as DATE when there is no date.
fn vorbis_comment_of(tag: &StandardTag) -> Option<(&'static str, String)> {
    use StandardTag as S;
    let (key, value) = match tag {
        S::TrackTitle(v) => ("TITLE", v.to_string()),
        S::Artist(v) => ("ARTIST", v.to_string()),
        S::Album(v) => ("ALBUM", v.to_string()),
        S::AlbumArtist(v) => ("ALBUMARTIST", v.to_string()),
        S::TrackNumber(n) => ("TRACKNUMBER", n.to_string()),
        S::TrackTotal(n) => ("TRACKTOTAL", n.to_string()),
        S::DiscNumber(n) => ("DISCNUMBER", n.to_string()),
        S::DiscTotal(n) => ("DISCTOTAL", n.to_string()),
        S::RecordingDate(v) | S::ReleaseDate(v) => ("DATE", v.to_string()),
        S::Genre(v) => ("GENRE", v.to_string()),
        S::Comment(v) => ("COMMENT", v.to_string()),
        // The Vorbis comment specification's own field for a comment (ffmpeg writes one there).
        S::Description(v) => ("DESCRIPTION", v.to_string()),
        S::Composer(v) => ("COMPOSER", v.to_string()),
        S::IdentIsrc(v) => ("ISRC", v.to_string()),
        _ => return None,
    };
    Some((key, value))
}
