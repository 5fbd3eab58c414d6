//! Everything the audio thread feeds the editor besides the loudness meter: the input and
//! output spectrum feeds, correlation and vectorscope, the scrolling histories and the
//! resonance stage's reduction. One struct so the plugin glue makes few calls:
//! [`EditorFeeds::configure`] when activated, [`EditorFeeds::capture_input`] before the chain,
//! [`EditorFeeds::capture_output`] and [`EditorFeeds::capture_resonance`] after it.
//! The GUI-only feeds (spectra, vectorscope, resonance) do nothing while
//! [`MeterBus::editor_open`] is false.

use super::MeterBus;
use super::history::{
    GAIN_REDUCTION_HISTORY_PERIOD_MS, HistoryRecorder, LOUDNESS_HISTORY_PERIOD_MS, Reduce,
};
use super::resonance_display::Lane;
use super::spectrum::{SpectrumFeed, SpectrumReader};
use super::stereo_meter::{StereoMeter, VectorscopeReader};
use std::sync::atomic::Ordering;

/// Audio-thread side of the editor's feeds.
pub struct EditorFeeds {
    input_spectrum: SpectrumFeed,
    output_spectrum: SpectrumFeed,
    stereo: StereoMeter,
    loudness_history: HistoryRecorder,
    gain_reduction_history: HistoryRecorder,
}

/// GUI side of the editor's feeds (the editor takes it once, when it is created).
pub struct EditorReaders {
    /// Spectrum of the chain's input (the mix as it arrives).
    pub input_spectrum: SpectrumReader,
    /// Spectrum of the chain's output (the master).
    pub output_spectrum: SpectrumReader,
    /// Vectorscope points of the output.
    pub vectorscope: VectorscopeReader,
}

impl EditorFeeds {
    /// The feeds and their readers. Allocates (plugin construction).
    pub fn new() -> (EditorFeeds, EditorReaders) {
        let (input_spectrum, input_reader) = SpectrumFeed::new();
        let (output_spectrum, output_reader) = SpectrumFeed::new();
        let (stereo, vectorscope) = StereoMeter::new();
        (
            EditorFeeds {
                input_spectrum,
                output_spectrum,
                stereo,
                loudness_history: HistoryRecorder::new(LOUDNESS_HISTORY_PERIOD_MS, Reduce::Last),
                gain_reduction_history: HistoryRecorder::new(
                    GAIN_REDUCTION_HISTORY_PERIOD_MS,
                    Reduce::Max,
                ),
            },
            EditorReaders {
                input_spectrum: input_reader,
                output_spectrum: output_reader,
                vectorscope,
            },
        )
    }

    /// Sets the sample rate everywhere and tells the editor (activation; no allocation).
    pub fn configure(&mut self, sample_rate_hz: f32, bus: &MeterBus) {
        self.input_spectrum.set_sample_rate(sample_rate_hz);
        self.output_spectrum.set_sample_rate(sample_rate_hz);
        self.stereo.set_sample_rate(sample_rate_hz);
        self.loudness_history.set_sample_rate(sample_rate_hz);
        self.gain_reduction_history.set_sample_rate(sample_rate_hz);
        bus.sample_rate_hz.store(sample_rate_hz, Ordering::Relaxed);
    }

    /// Forgets all captured audio (reset; no allocation).
    pub fn reset(&mut self) {
        self.input_spectrum.reset();
        self.output_spectrum.reset();
        self.stereo.reset();
        self.loudness_history.reset();
        self.gain_reduction_history.reset();
    }

    /// Input spectrum frames published so far (tests: idle while the editor is closed).
    pub fn num_input_spectrum_frames(&self) -> u64 {
        self.input_spectrum.num_published()
    }

    /// Output spectrum frames published so far.
    pub fn num_output_spectrum_frames(&self) -> u64 {
        self.output_spectrum.num_published()
    }

    /// Captures the chain's input (call before the chain processes the block).
    pub fn capture_input<S: AsRef<[f32]>>(&mut self, channels: &[S], bus: &MeterBus) {
        let open = bus.editor_open.load(Ordering::Relaxed);
        self.input_spectrum.process(channels, open);
    }

    /// Captures the chain's output (call after the loudness meter has published this block):
    /// output spectrum, correlation and vectorscope, and the history graphs.
    /// `peak_gain_reduction_db` is the limiter's largest reduction in the block.
    pub fn capture_output<S: AsRef<[f32]>>(
        &mut self,
        channels: &[S],
        bus: &MeterBus,
        peak_gain_reduction_db: f32,
    ) {
        let open = bus.editor_open.load(Ordering::Relaxed);
        self.output_spectrum.process(channels, open);
        self.stereo.process(channels, bus, open);
        let num_samples = channels.first().map_or(0, |c| c.as_ref().len());
        self.loudness_history.advance(
            num_samples,
            bus.short_term_lufs.load(Ordering::Relaxed),
            &bus.short_term_history,
        );
        self.gain_reduction_history.advance(
            num_samples,
            peak_gain_reduction_db,
            &bus.gain_reduction_history,
        );
    }

    /// Publishes the resonance stage's reduction (`MasteringChain::resonance_reduction_db`,
    /// `None` while the stage is out) while an editor is open. Allocation-free.
    pub fn capture_resonance(&self, lanes: Option<[Lane<'_>; 2]>, bus: &MeterBus) {
        if bus.editor_open.load(Ordering::Relaxed) {
            bus.resonance.publish(lanes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gui_only_feeds_idle_until_the_editor_opens() {
        let (mut feeds, mut readers) = EditorFeeds::new();
        let bus = MeterBus::default();
        feeds.configure(48_000.0, &bus);
        let block = vec![vec![0.25f32; 512]; 2];
        for _ in 0..200 {
            feeds.capture_input(&block, &bus);
            feeds.capture_output(&block, &bus, 1.0);
        }
        assert_eq!(feeds.num_input_spectrum_frames(), 0);
        assert_eq!(feeds.num_output_spectrum_frames(), 0);
        assert!(readers.input_spectrum.take_new().is_none());
        assert!(readers.output_spectrum.take_new().is_none());
        assert!(readers.vectorscope.take_new().is_none());
        // The histories and correlation run regardless: 200 x 512 samples = 21 periods of
        // 100 ms and 42 of 50 ms.
        assert_eq!(bus.short_term_history.num_written(), 21);
        assert_eq!(bus.gain_reduction_history.num_written(), 42);
        assert!(bus.correlation.load(Ordering::Relaxed) > 0.9999);

        bus.editor_open.store(true, Ordering::Relaxed);
        for _ in 0..200 {
            feeds.capture_input(&block, &bus);
            feeds.capture_output(&block, &bus, 1.0);
        }
        assert!(feeds.num_input_spectrum_frames() > 0);
        assert!(feeds.num_output_spectrum_frames() > 0);
        assert!(readers.input_spectrum.take_new().is_some());
        assert!(readers.vectorscope.take_new().is_some());

        bus.editor_open.store(false, Ordering::Relaxed);
        let before = feeds.num_output_spectrum_frames();
        for _ in 0..200 {
            feeds.capture_input(&block, &bus);
            feeds.capture_output(&block, &bus, 1.0);
        }
        assert_eq!(feeds.num_output_spectrum_frames(), before);
    }

    #[test]
    fn resonance_is_published_only_while_the_editor_is_open() {
        use crate::meter::resonance_display::NUM_BANDS;
        let (feeds, _readers) = EditorFeeds::new();
        let bus = MeterBus::default();
        let cut: Lane<'_> = (&[900.0, 1000.0, 1100.0], &[0.0, 4.0, 0.0]);
        let (mut mid, mut side) = ([0.0; NUM_BANDS], [0.0; NUM_BANDS]);
        feeds.capture_resonance(Some([cut, cut]), &bus);
        assert!(!bus.resonance.read(&mut mid, &mut side));
        assert_eq!(mid.iter().copied().fold(0.0, f32::max), 0.0);

        bus.editor_open.store(true, Ordering::Relaxed);
        feeds.capture_resonance(Some([cut, cut]), &bus);
        assert!(bus.resonance.read(&mut mid, &mut side));
        assert_eq!(mid.iter().copied().fold(0.0, f32::max), 4.0);
        assert_eq!(side.iter().copied().fold(0.0, f32::max), 4.0);

        feeds.capture_resonance(None, &bus);
        assert!(!bus.resonance.read(&mut mid, &mut side));
        assert_eq!(mid.iter().copied().fold(0.0, f32::max), 0.0);
    }
}
