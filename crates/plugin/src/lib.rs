//! Lacquer: an open-source mastering assistant. This file is plugin glue only: the
//! `Plugin`/`ClapPlugin`/`Vst3Plugin` impls and the export macros. The DSP lives in
//! the `lacquer-core` crate ([`chain`], [`dsp`], [`meter`], [`assistant`]), which cannot see
//! the plugin framework.

pub mod ab;
pub mod editor;
pub mod listen;
pub mod migrate;
pub mod params;

/// The framework-free core (DSP, meters, chain, rendering, the parameter contract, the
/// assistant), re-exported so `crate::dsp::...` paths read the same in the plugin.
pub use lacquer_core::{assistant, chain, contract, dsp, meter, platform, presets, render};

use chain::MasteringChain;
use listen::{Assistant, AssistantTask, ListenAudio};
use meter::{LoudnessMeter, MeterBus};
use nice_plug::prelude::*;
use params::LacquerParams;
use std::num::NonZeroU32;
use std::sync::Arc;

/// The plugin instance.
pub struct Lacquer {
    params: Arc<LacquerParams>,
    chain: MasteringChain,
    output_meter: LoudnessMeter,
    meter_bus: Arc<MeterBus>,
    /// Audio-thread ends of the editor's feeds (spectra, vectorscope, histories).
    editor_feeds: meter::EditorFeeds,
    /// GUI ends of those feeds, until the editor takes them.
    editor_readers: Option<meter::EditorReaders>,
    /// Latency last reported to the host, samples.
    reported_latency_samples: u32,
    /// A latency change is waiting for the host to restart (deactivate and reactivate) the
    /// plugin (CLAP only; see [`Lacquer::latency_changed`]).
    latency_restart_requested: bool,
    /// Consecutive input samples that were silent, for the tail the host is told about.
    silent_input_samples: u64,
    /// Sample rate of the current activation, Hz.
    sample_rate_hz: f32,
    /// The assistant's Listen (session, proposal, host context), shared with the background
    /// executor and the editor.
    assistant: Arc<Assistant>,
    /// The audio thread's end of Listen.
    listen_audio: ListenAudio,
    /// How far the ceiling holds Compare under the matched loudness, dB, for the editor.
    compare_shortfall_db: Arc<AtomicF32>,
}

/// After the last non-silent input sample the chain keeps sounding for its latency (the
/// lookahead still holds audio) plus the ring-down of its filters; this much, ms, is allowed
/// for the ring-down (the slowest filter, the 10 Hz high-pass, decays by 60 dB in about 110
/// ms; the Match Loudness and release smoothers carry no audio).
const TAIL_RING_DOWN_MS: f32 = 250.0;

/// Input samples below this magnitude count as silence for the tail (-144 dBFS, below the
/// quietest step of 24-bit audio).
const SILENCE_THRESHOLD: f32 = 6.0e-8;

impl Default for Lacquer {
    fn default() -> Self {
        let (editor_feeds, editor_readers) = meter::EditorFeeds::new();
        let params = Arc::new(LacquerParams::default());
        Self {
            assistant: Arc::new(Assistant::new(params.clone())),
            listen_audio: ListenAudio::default(),
            params,
            chain: MasteringChain::new(),
            output_meter: LoudnessMeter::default(),
            meter_bus: Arc::new(MeterBus::default()),
            editor_feeds,
            editor_readers: Some(editor_readers),
            reported_latency_samples: 0,
            latency_restart_requested: false,
            silent_input_samples: 0,
            sample_rate_hz: 48_000.0,
            compare_shortfall_db: Default::default(),
        }
    }
}

impl Lacquer {
    /// Samples the output keeps sounding after the input falls silent: the latency plus the
    /// filters' ring-down.
    fn tail_samples(&self) -> u32 {
        self.chain.latency_samples() + (TAIL_RING_DOWN_MS * 0.001 * self.sample_rate_hz) as u32
    }

    /// The chain's latency changed while processing (the Lookahead parameter sets it): tells
    /// the host the way its plugin format wants it.
    ///
    /// - CLAP lets the latency change only while the plugin is deactivated
    ///   (`clap_host_latency::changed` is for `clap_plugin::activate` alone), so the plugin
    ///   asks for a restart (`clap_host::request_restart`, callable from the audio thread) and
    ///   reports the new latency when the host activates it again ([`Plugin::activate`]).
    ///   Reporting it from here instead would have nice-plug's CLAP wrapper call
    ///   `clap_host_latency::changed` from a main-thread task, which runs after the host has
    ///   deactivated the plugin as often as before (clap-validator's param-set-events,
    ///   param-set-no-cookies and param-fuzz-sample-accurate caught it).
    ///   That reactivation reports the latency through the activate context, which nice-plug
    ///   applies only once the plugin counts as active again; its wrapper then requests one
    ///   more restart itself and calls `changed` inside the next `activate`, as the spec asks.
    ///   So a latency change costs a CLAP host two restarts (and the first activation one): the
    ///   framework's way, which Lacquer cannot shorten.
    /// - VST3 lets the latency change while active: nice-plug's VST3 wrapper reports the new
    ///   value from `getLatencySamples` at once and sends `restartComponent(kLatencyChanged)`
    ///   from the GUI thread, after which the host reads it.
    fn latency_changed(&mut self, latency: u32, context: &mut impl ProcessContext<Self>) {
        match context.plugin_api() {
            PluginApi::Clap => {
                if !self.latency_restart_requested {
                    self.latency_restart_requested = true;
                    context.request_restart();
                }
            }
            PluginApi::Vst3 | PluginApi::Standalone => {
                self.reported_latency_samples = latency;
                context.set_latency_samples(latency);
            }
        }
    }

    /// The meter bus the editor reads.
    pub fn meter_bus(&self) -> Arc<MeterBus> {
        self.meter_bus.clone()
    }
}

impl Plugin for Lacquer {
    const NAME: &'static str = "Lacquer";
    const VENDOR: &'static str = "Lacquer";
    const URL: &'static str = "https://crates.io/crates/lacquer";
    const EMAIL: &'static str = "lacquer@example.invalid";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            aux_input_ports: &[],
            aux_output_ports: &[],
            names: PortNames::const_default(),
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(1),
            aux_input_ports: &[],
            aux_output_ports: &[],
            names: PortNames::const_default(),
        },
    ];

    const SAMPLE_ACCURATE_AUTOMATION: bool = true;

    type Editor = editor::LacquerEguiEditor;
    type SysExMessage = ();
    type BackgroundTask = AssistantTask;

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn task_executor(&mut self) -> TaskExecutor<Self> {
        let assistant = self.assistant.clone();
        Box::new(move |task| assistant.run(task))
    }

    fn editor(&mut self, async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        // The editor's tasks (reference files to decode and analyse) go to the background
        // executor, counted like the audio thread's (see `Assistant::wait_for_tasks`).
        self.assistant.set_executor(Arc::new(move |task| {
            async_executor.execute_background(task)
        }));
        editor::create(
            self.params.clone(),
            self.meter_bus.clone(),
            self.editor_readers.take()?,
            self.assistant.clone(),
            self.compare_shortfall_db.clone(),
        )
    }

    fn filter_state(state: &mut PluginState) {
        migrate::migrate(state);
    }

    fn activate(
        &mut self,
        audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        let num_channels = audio_io_layout
            .main_output_channels
            .map_or(2, |c| c.get() as usize);
        let sample_rate = buffer_config.sample_rate;
        self.chain.configure(
            sample_rate,
            num_channels,
            buffer_config.max_buffer_size.max(1) as usize,
        );
        self.chain
            .set_settings_immediately(&self.params.chain_settings());
        self.output_meter.configure(num_channels, sample_rate);
        self.editor_feeds.configure(sample_rate, &self.meter_bus);
        self.sample_rate_hz = sample_rate;
        self.silent_input_samples = 0;
        let writer = self.assistant.new_ring(sample_rate);
        self.listen_audio.configure(writer, sample_rate);
        // The one place a CLAP plugin may change its latency (see `latency_changed`).
        self.reported_latency_samples = self.chain.latency_samples();
        self.latency_restart_requested = false;
        context.set_latency_samples(self.reported_latency_samples);
        true
    }

    fn deactivate(&mut self) {
        // No task of ours may outlive the instance in nice-plug's shared worker (see
        // `Assistant::wait_for_tasks`).
        if !self.assistant.wait_for_tasks(listen::TASK_DRAIN_TIMEOUT) {
            nice_warn!(
                "deactivate: {} assistant task(s) still running after {:?}",
                self.assistant.tasks_in_flight(),
                listen::TASK_DRAIN_TIMEOUT
            );
        }
    }

    fn reset(&mut self) {
        self.chain.reset();
        self.output_meter.reset();
        self.editor_feeds.reset();
        self.meter_bus.clear();
        self.silent_input_samples = 0;
    }

    fn process(
        &mut self,
        buffer: &mut Buffer<'_>,
        _aux: &mut AuxiliaryBuffers<'_>,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        self.chain.set_settings(&self.params.chain_settings());
        let latency = self.chain.latency_samples();
        if latency != self.reported_latency_samples {
            self.latency_changed(latency, context);
        }
        let channels = buffer.as_slice();
        let num_samples = channels.first().map_or(0, |c| c.len()) as u64;
        let silent = channels
            .iter()
            .all(|c| c.iter().all(|s| s.abs() < SILENCE_THRESHOLD));
        self.silent_input_samples = if silent {
            self.silent_input_samples.saturating_add(num_samples)
        } else {
            0
        };
        self.editor_feeds.capture_input(channels, &self.meter_bus);
        // Listen hears the mix as it comes in, before any processing.
        if let Some(task) = self
            .listen_audio
            .block(self.params.listen.value(), channels)
        {
            self.assistant.task_scheduled();
            context.execute_background(task);
        }
        self.chain.process(channels);
        self.output_meter.process(channels, &self.meter_bus);
        let peak_gr_db = self.chain.take_peak_gain_reduction_db();
        self.editor_feeds
            .capture_output(channels, &self.meter_bus, peak_gr_db);
        self.editor_feeds
            .capture_resonance(self.chain.resonance_reduction_db(), &self.meter_bus);
        let band_peak_gr_db = self.chain.take_peak_band_gain_reduction_db();
        self.meter_bus.publish_gain_reduction(
            self.chain.gain_reduction_db(),
            peak_gr_db,
            band_peak_gr_db,
        );
        // Compare's dry gain as heard (matched, lowered when the ceiling needs it) and how far
        // under the match the ceiling holds it.
        self.meter_bus.match_offset_db.store(
            self.chain.compare_gain_db(),
            std::sync::atomic::Ordering::Relaxed,
        );
        self.compare_shortfall_db.store(
            self.chain.compare_shortfall_db(),
            std::sync::atomic::Ordering::Relaxed,
        );
        // While the chain may still hold sound, say how long it rings on so the host keeps
        // calling; once it has drained, `Normal` lets the host sleep the plugin on silence.
        let tail = u64::from(self.tail_samples());
        if self.silent_input_samples < tail {
            ProcessStatus::Tail(self.tail_samples())
        } else {
            ProcessStatus::Normal
        }
    }
}

impl ClapPlugin for Lacquer {
    const CLAP_ID: &'static str = "audio.lacquer.mastering";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("Mastering assistant: tone, dynamics, image, true-peak limiting");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Stereo,
        ClapFeature::Mono,
        ClapFeature::Mastering,
        ClapFeature::Limiter,
    ];
}

impl Vst3Plugin for Lacquer {
    const VST3_CLASS_ID: [u8; 16] = *b"LacquerMasterFx1";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] =
        &[Vst3SubCategory::Fx, Vst3SubCategory::Mastering];
}

nice_export_clap!(Lacquer);
nice_export_vst3!(Lacquer);
