//! Lacquer as a standalone application, for the editor's headless screenshot test
//! (`cargo xtask test`, step "editor"). Built only with `--features standalone`.
//!
//! nice-plug's dummy audio backend feeds silence, so this wraps the plugin in `DemoFed`, which
//! replaces each input block with the next samples of a WAV file (looped; by default the demo
//! mix, `assets/demo/demo-mix.wav`) before the plugin processes it: the meters then show live
//! values. Run with `--backend dummy --sample-rate 44100` (the demo's rate).
//!
//! Environment:
//! - `LACQUER_STANDALONE_INPUT`: another WAV file to play.
//! - `LACQUER_STANDALONE_PARAMS`: initial parameter values as `id=text,...` in the host's
//!   display text (e.g. `drive=6,dynamics=60`), set before the editor opens, as a saved
//!   project would.

use lacquer::Lacquer;
use nice_plug::prelude::*;
use std::sync::Arc;

/// The plugin with a WAV file as its input.
struct DemoFed {
    inner: Lacquer,
    /// The file's channels, full scale 1.0.
    input: Vec<Vec<f32>>,
    position: usize,
}

/// Reads a WAV file into channels; an empty result on any problem (the plugin then gets
/// silence, and the screenshot test's meter checks fail with a clear message).
fn read_wav(path: &str) -> Vec<Vec<f32>> {
    let Ok(mut reader) = hound::WavReader::open(path) else {
        eprintln!("standalone: cannot open {path}; playing silence");
        return Vec::new();
    };
    let spec = reader.spec();
    let num_channels = usize::from(spec.channels.max(1));
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().filter_map(Result::ok).collect(),
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32;
            reader
                .samples::<i32>()
                .filter_map(Result::ok)
                .map(|s| s as f32 * scale)
                .collect()
        }
    };
    (0..num_channels)
        .map(|c| {
            samples
                .iter()
                .skip(c)
                .step_by(num_channels)
                .copied()
                .collect()
        })
        .collect()
}

/// Applies `id=text,...` to the plugin's parameters (before any processing or editor).
fn apply_param_text(params: &dyn Params, spec: &str) {
    let map = params.param_map();
    for item in spec.split(',').filter(|s| !s.trim().is_empty()) {
        let Some((id, text)) = item.split_once('=') else {
            eprintln!("standalone: ignoring `{item}` (expected id=value)");
            continue;
        };
        let Some((_, ptr, _)) = map.iter().find(|(i, _, _)| i == id.trim()) else {
            eprintln!("standalone: no parameter `{id}`");
            continue;
        };
        // SAFETY: `ptr` comes from this plugin's own parameter map and the plugin is alive;
        // nothing else touches the parameters yet (no host, no audio thread).
        unsafe {
            match ptr.string_to_normalized_value(text.trim()) {
                Some(normalized) => {
                    ptr._internal_set_normalized_value(normalized);
                }
                None => eprintln!("standalone: `{text}` is not a value of `{id}`"),
            }
        }
    }
}

impl Default for DemoFed {
    fn default() -> Self {
        let path = std::env::var("LACQUER_STANDALONE_INPUT").unwrap_or_else(|_| {
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../assets/demo/demo-mix.wav"
            )
            .to_owned()
        });
        let inner = Lacquer::default();
        if let Ok(spec) = std::env::var("LACQUER_STANDALONE_PARAMS") {
            apply_param_text(&*inner.params(), &spec);
        }
        Self {
            inner,
            input: read_wav(&path),
            position: 0,
        }
    }
}

/// Forwards an activation context to the wrapped plugin.
struct Activate<'a, C>(&'a mut C);

impl<C: ActivateContext<DemoFed>> ActivateContext<Lacquer> for Activate<'_, C> {
    fn plugin_api(&self) -> PluginApi {
        self.0.plugin_api()
    }
    fn execute(&self, task: <Lacquer as Plugin>::BackgroundTask) {
        self.0.execute(task);
    }
    fn set_latency_samples(&self, samples: u32) {
        self.0.set_latency_samples(samples);
    }
    fn set_current_voice_capacity(&self, capacity: u32) {
        self.0.set_current_voice_capacity(capacity);
    }
}

/// Forwards a process context to the wrapped plugin.
struct Process<'a, C>(&'a mut C);

impl<C: ProcessContext<DemoFed>> ProcessContext<Lacquer> for Process<'_, C> {
    fn plugin_api(&self) -> PluginApi {
        self.0.plugin_api()
    }
    fn execute_background(&self, task: <Lacquer as Plugin>::BackgroundTask) {
        self.0.execute_background(task);
    }
    fn execute_gui(&self, task: <Lacquer as Plugin>::BackgroundTask) {
        self.0.execute_gui(task);
    }
    fn transport(&self) -> &Transport {
        self.0.transport()
    }
    fn next_event(&mut self) -> Option<PluginNoteEvent<Lacquer>> {
        self.0.next_event()
    }
    fn try_send_event(
        &mut self,
        event: PluginNoteEvent<Lacquer>,
    ) -> Result<
        (),
        (
            PluginNoteEvent<Lacquer>,
            nice_plug::context::process::SendEventError,
        ),
    > {
        self.0.try_send_event(event)
    }
    fn set_latency_samples(&self, samples: u32) {
        self.0.set_latency_samples(samples);
    }
    fn request_restart(&self) {
        self.0.request_restart();
    }
    fn set_current_voice_capacity(&self, capacity: u32) {
        self.0.set_current_voice_capacity(capacity);
    }
}

impl Plugin for DemoFed {
    const NAME: &'static str = "Lacquer (standalone demo)";
    const VENDOR: &'static str = Lacquer::VENDOR;
    const URL: &'static str = Lacquer::URL;
    const EMAIL: &'static str = Lacquer::EMAIL;
    const VERSION: &'static str = Lacquer::VERSION;
    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = Lacquer::AUDIO_IO_LAYOUTS;
    const SAMPLE_ACCURATE_AUTOMATION: bool = Lacquer::SAMPLE_ACCURATE_AUTOMATION;

    type Editor = <Lacquer as Plugin>::Editor;
    type SysExMessage = <Lacquer as Plugin>::SysExMessage;
    type BackgroundTask = <Lacquer as Plugin>::BackgroundTask;

    fn params(&self) -> Arc<dyn Params> {
        self.inner.params()
    }

    fn editor(&mut self, async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        let background = async_executor.clone();
        let gui = async_executor;
        self.inner.editor(AsyncExecutor::new(
            Arc::new(move |task| background.execute_background(task)),
            Arc::new(move |task| gui.execute_gui(task)),
        ))
    }

    fn task_executor(&mut self) -> TaskExecutor<Self> {
        // The assistant's Listen work (drain, analyse, apply) runs in the wrapped plugin's
        // executor.
        self.inner.task_executor()
    }

    fn filter_state(state: &mut PluginState) {
        Lacquer::filter_state(state);
    }

    fn activate(
        &mut self,
        audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        self.inner
            .activate(audio_io_layout, buffer_config, &mut Activate(context))
    }

    fn reset(&mut self) {
        self.inner.reset();
    }

    fn process(
        &mut self,
        buffer: &mut Buffer<'_>,
        aux: &mut AuxiliaryBuffers<'_>,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let len = self.input.first().map_or(0, Vec::len);
        if len > 0 {
            let channels = buffer.as_slice();
            let num_samples = channels.first().map_or(0, |c| c.len());
            for (c, out) in channels.iter_mut().enumerate() {
                let source = &self.input[c % self.input.len()];
                for (i, s) in out.iter_mut().enumerate() {
                    *s = source[(self.position + i) % len];
                }
            }
            self.position = (self.position + num_samples) % len;
        }
        self.inner.process(buffer, aux, &mut Process(context))
    }
}

fn main() {
    nice_export_standalone::<DemoFed>();
}
