#![allow(dead_code)] // shared by several test binaries, each using part of it
//! A small but real CLAP host for the tests, built on clack-host: it loads a `.clap` file, reads
//! the descriptor, lists parameters, picks an audio port configuration, activates, runs
//! `process()` on a separate audio thread (as a DAW does, so the plugin's main-thread checks see
//! a real audio thread), services main-thread callbacks between chunks, and saves and loads
//! state.

use clack_extensions::audio_ports::{AudioPortInfoBuffer, PluginAudioPorts};
use clack_extensions::audio_ports_config::{AudioPortsConfigBuffer, PluginAudioPortsConfig};
use clack_extensions::latency::{HostLatency, HostLatencyImpl, PluginLatency};
use clack_extensions::params::{
    HostParams, HostParamsImplMainThread, HostParamsImplShared, ParamClearFlags, ParamInfoBuffer,
    ParamInfoFlags, ParamRescanFlags, PluginParams,
};
use clack_extensions::state::{HostState, HostStateImpl, PluginState};
use clack_extensions::tail::{PluginTail, TailLength};
use clack_host::events::event_types::ParamValueEvent;
use clack_host::prelude::*;
use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// The host's callback handlers (type-level only).
pub struct TestHost;

/// Thread-safe host side: remembers that the plugin asked for a main-thread callback.
pub struct Shared {
    callback_requested: AtomicBool,
}

impl<'a> SharedHandler<'a> for Shared {
    fn request_restart(&self) {}
    fn request_process(&self) {}
    fn request_callback(&self) {
        self.callback_requested.store(true, Ordering::SeqCst);
    }
}

impl HostParamsImplShared for Shared {
    fn request_flush(&self) {}
}

/// Main-thread host side. Nothing to keep: the tests read the plugin's state directly.
pub struct MainThread;

impl<'a> MainThreadHandler<'a> for MainThread {}

impl HostLatencyImpl for MainThread {
    fn changed(&self) {}
}

impl HostParamsImplMainThread for MainThread {
    fn rescan(&self, _flags: ParamRescanFlags) {}
    fn clear(&self, _param_id: ClapId, _flags: ParamClearFlags) {}
}

impl HostStateImpl for MainThread {
    fn mark_dirty(&self) {}
}

impl HostHandlers for TestHost {
    type Shared<'a> = Shared;
    type MainThread<'a> = MainThread;
    type AudioProcessor<'a> = ();

    fn declare_extensions(builder: &mut HostExtensions<'_, Self>, _shared: &Self::Shared<'_>) {
        builder
            .register::<HostLatency>()
            .register::<HostParams>()
            .register::<HostState>();
    }
}

/// Loads a CLAP bundle (on Linux the bundle is the shared library itself).
pub fn load_entry(path: &Path) -> PluginEntry {
    assert!(
        path.is_file(),
        "no CLAP bundle at {}: build it with `cargo xtask test`",
        path.display()
    );
    // One entry per bundle for the whole test process, never unloaded. With parallel tests, the
    // test that dropped the last reference unloaded the library (`deinit` + `dlclose`) while
    // another test thread that had called into it was still alive; when that thread exited,
    // glibc ran a thread-specific-data destructor the library had registered (Rust's
    // thread-local cleanup) at an address no longer mapped: SIGSEGV in about 1 run in 12 here,
    // and once in CI (gdb: `__nptl_deallocate_tsd` -> unmapped). A DAW keeps a loaded bundle
    // for the session, which is what this does.
    static ENTRIES: Mutex<Vec<(PathBuf, PluginEntry)>> = Mutex::new(Vec::new());
    let mut entries = ENTRIES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, entry)) = entries.iter().find(|(p, _)| p == path) {
        return entry.clone();
    }
    // SAFETY: the file is our own plugin, built from this repository.
    let entry = unsafe { PluginEntry::load(path) }
        .unwrap_or_else(|e| panic!("could not load {}: {e}", path.display()));
    entries.push((path.to_path_buf(), entry.clone()));
    entry
}

/// `(id, name)` of every plugin the bundle's factory describes.
pub fn descriptors(entry: &PluginEntry) -> Vec<(String, String)> {
    let factory = entry
        .get_plugin_factory()
        .expect("the bundle exposes no plugin factory");
    factory
        .plugin_descriptors()
        .map(|d| {
            let text = |s: Option<&std::ffi::CStr>| s.map(|s| s.to_string_lossy().into_owned());
            (
                text(d.id()).unwrap_or_default(),
                text(d.name()).unwrap_or_default(),
            )
        })
        .collect()
}

/// One parameter as the host sees it. CLAP values are the plugin's own "plain" values; for
/// nice-plug plugins that is the normalised 0..1 value (times the step count for stepped ones).
#[derive(Debug, Clone)]
pub struct Param {
    pub id: ClapId,
    pub name: String,
    pub min: f64,
    pub max: f64,
    pub default: f64,
    pub flags: ParamInfoFlags,
}

/// A parameter change at an absolute sample position of a render.
#[derive(Debug, Clone, Copy)]
pub struct Automation {
    pub at_sample: usize,
    pub id: ClapId,
    pub value: f64,
}

/// What a render produced: planar output and the latency the plugin reported when activated.
pub struct Render {
    pub output: Vec<Vec<f32>>,
    pub latency_samples: u32,
    /// After each block: the sample it ended at, the status `process()` returned and the tail
    /// the plugin reported (`None` without the tail extension).
    pub statuses: Vec<(usize, ProcessStatus, Option<u32>)>,
}

/// Extra things a render can do.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    /// Call the plugin's `reset()` on the audio thread before the block starting here.
    pub reset_at_sample: Option<usize>,
    /// Process on the calling (main) thread, with no pause between the last block and the
    /// deactivation (and no main-thread callbacks in between): the tightest teardown a host
    /// can do, as clap-validator's fuzzing does.
    pub same_thread: bool,
}

/// The CLAP id of the Lacquer plugin in its bundle.
pub const PLUGIN_ID: &str = "audio.lacquer.mastering";

/// One plugin instance and the parameters it declared.
pub struct Instance {
    instance: PluginInstance<TestHost>,
    pub params: Vec<Param>,
}

impl Instance {
    /// Instantiates Lacquer from a loaded bundle and reads its parameter list.
    pub fn new(entry: &PluginEntry) -> Self {
        let host_info = HostInfo::new("Lacquer test host", "Lacquer", "https://invalid", "1.0")
            .expect("host info");
        let id = CString::new(PLUGIN_ID).expect("id");
        let instance = PluginInstance::<TestHost>::new(
            |_| Shared {
                callback_requested: AtomicBool::new(false),
            },
            |_| MainThread,
            entry,
            &id,
            &host_info,
        )
        .unwrap_or_else(|e| panic!("could not instantiate {PLUGIN_ID}: {e}"));
        let mut this = Self {
            instance,
            params: Vec::new(),
        };
        this.params = this.read_params();
        this
    }

    fn ext<E>(&mut self) -> E
    where
        E: clack_host::extensions::Extension<
                ExtensionSide = clack_host::extensions::PluginExtensionSide,
            >,
    {
        self.instance
            .plugin_handle()
            .get_extension::<E>()
            .unwrap_or_else(|| {
                panic!(
                    "the plugin lacks the {} extension",
                    std::any::type_name::<E>()
                )
            })
    }

    fn read_params(&mut self) -> Vec<Param> {
        let ext: PluginParams = self.ext();
        let handle = self.instance.plugin_handle();
        let mut buffer = ParamInfoBuffer::new();
        (0..ext.count(&handle))
            .map(|i| {
                let info = ext
                    .get_info(&handle, i, &mut buffer)
                    .unwrap_or_else(|| panic!("params.get_info({i}) failed"));
                Param {
                    id: info.id,
                    name: String::from_utf8_lossy(info.name).into_owned(),
                    min: info.min_value,
                    max: info.max_value,
                    default: info.default_value,
                    flags: info.flags,
                }
            })
            .collect()
    }

    /// The parameter called `name`; fails listing the names that exist.
    pub fn param(&self, name: &str) -> Param {
        self.params
            .iter()
            .find(|p| p.name == name)
            .cloned()
            .unwrap_or_else(|| {
                let names: Vec<_> = self.params.iter().map(|p| p.name.as_str()).collect();
                panic!("no parameter named {name:?}; the plugin has {names:?}")
            })
    }

    /// The current CLAP value of a parameter.
    pub fn value(&mut self, name: &str) -> f64 {
        let id = self.param(name).id;
        let ext: PluginParams = self.ext();
        ext.get_value(&self.instance.plugin_handle(), id)
            .unwrap_or_else(|| panic!("params.get_value({name}) failed"))
    }

    /// The plugin's display text for a CLAP value of a parameter (with unit).
    pub fn text(&mut self, name: &str, value: f64) -> String {
        let id = self.param(name).id;
        let ext: PluginParams = self.ext();
        let mut buffer = [0u8; 256];
        let text = ext
            .value_to_text(&self.instance.plugin_handle(), id, value, &mut buffer)
            .unwrap_or_else(|_| panic!("params.value_to_text({name}, {value}) failed"));
        String::from_utf8_lossy(text).into_owned()
    }

    /// The CLAP value the plugin parses from a display text, e.g. `"6"` for Drive.
    pub fn parse(&mut self, name: &str, text: &str) -> f64 {
        let id = self.param(name).id;
        let ext: PluginParams = self.ext();
        let c_text = CString::new(text).expect("text");
        ext.text_to_value(&self.instance.plugin_handle(), id, &c_text)
            .unwrap_or_else(|| panic!("params.text_to_value({name}, {text:?}) failed"))
    }

    /// `(config id, main input channels, main output channels)` of every port configuration.
    pub fn port_configs(&mut self) -> Vec<(ClapId, u32, u32)> {
        let ext: PluginAudioPortsConfig = self.ext();
        let handle = self.instance.plugin_handle();
        let mut buffer = AudioPortsConfigBuffer::new();
        (0..ext.count(&handle))
            .filter_map(|i| {
                let config = ext.get(&handle, i, &mut buffer)?;
                let channels = |p: Option<
                    clack_extensions::audio_ports_config::MainPortInfo<'_>,
                >| { p.map_or(0, |p| p.channel_count) };
                Some((
                    config.id,
                    channels(config.main_input),
                    channels(config.main_output),
                ))
            })
            .collect()
    }

    /// Selects the port configuration with `num_channels` in and out (plugin inactive).
    pub fn select_channels(&mut self, num_channels: u32) {
        let configs = self.port_configs();
        let (id, _, _) = *configs
            .iter()
            .find(|(_, i, o)| *i == num_channels && *o == num_channels)
            .unwrap_or_else(|| panic!("no {num_channels}-channel port config in {configs:?}"));
        let ext: PluginAudioPortsConfig = self.ext();
        ext.select(&self.instance.plugin_handle(), id)
            .unwrap_or_else(|_| panic!("audio-ports-config.select({id:?}) was refused"));
    }

    /// Channel counts of the first input and output ports (audio-ports extension).
    pub fn main_port_channels(&mut self) -> (u32, u32) {
        let ext: PluginAudioPorts = self.ext();
        let handle = self.instance.plugin_handle();
        let mut buffer = AudioPortInfoBuffer::new();
        let mut channels = |is_input| {
            ext.get(&handle, 0, is_input, &mut buffer)
                .map_or(0, |p| p.channel_count)
        };
        (channels(true), channels(false))
    }

    /// The plugin's state as a host would store it in a project.
    pub fn save_state(&mut self) -> Vec<u8> {
        let ext: PluginState = self.ext();
        let mut bytes = Vec::new();
        ext.save(&self.instance.plugin_handle(), &mut bytes)
            .expect("state.save failed");
        bytes
    }

    /// Restores a state saved by [`Self::save_state`].
    pub fn load_state(&mut self, bytes: &[u8]) {
        let ext: PluginState = self.ext();
        ext.load(&self.instance.plugin_handle(), &mut &bytes[..])
            .expect("state.load failed");
    }

    /// Runs the plugin's main-thread callback if it asked for one (nice-plug posts GUI and
    /// latency tasks this way).
    fn service_main_thread(&mut self) {
        let requested = self
            .instance
            .access_shared_handler(|s| s.callback_requested.swap(false, Ordering::SeqCst));
        if requested {
            self.instance.call_on_main_thread_callback();
        }
    }

    /// Activates at `sample_rate_hz`, processes `input` (planar; the channel count must match
    /// the selected port configuration) in the given block sizes with the automation applied at
    /// its sample positions, then deactivates. Processing runs on audio threads separate from
    /// this (main) thread, in chunks of about 250 ms with main-thread callbacks in between.
    pub fn render(
        &mut self,
        sample_rate_hz: f64,
        input: &[Vec<f32>],
        blocks: &[usize],
        automation: &[Automation],
    ) -> Render {
        self.render_with(
            sample_rate_hz,
            input,
            blocks,
            automation,
            RenderOptions::default(),
        )
    }

    /// [`Self::render`] with [`RenderOptions`].
    pub fn render_with(
        &mut self,
        sample_rate_hz: f64,
        input: &[Vec<f32>],
        blocks: &[usize],
        automation: &[Automation],
        options: RenderOptions,
    ) -> Render {
        let num_samples: usize = blocks.iter().sum();
        assert!(
            input.iter().all(|c| c.len() == num_samples),
            "input length != blocks"
        );
        let max_block = blocks.iter().copied().max().unwrap_or(1);
        let config = PluginAudioConfiguration {
            sample_rate: sample_rate_hz,
            min_frames_count: 1,
            max_frames_count: max_block as u32,
        };
        let stopped = self
            .instance
            .activate(|_, _| (), config)
            .unwrap_or_else(|e| panic!("activate at {sample_rate_hz} Hz failed: {e}"));
        let latency: PluginLatency = self.ext();
        let latency_samples = latency.get(&self.instance.plugin_handle());
        self.service_main_thread();

        let mut automation = automation.to_vec();
        automation.sort_by_key(|a| a.at_sample);
        let mut input = input.to_vec();
        // NaN-filled, so a sample the plugin never wrote is caught by the finiteness checks.
        let mut output = vec![vec![f32::NAN; num_samples]; input.len()];
        let tail: Option<PluginTail> = self.instance.plugin_handle().get_extension();
        let mut statuses = Vec::new();
        let mut processor: PluginAudioProcessor<TestHost> = stopped.into();
        let chunk_samples = (sample_rate_hz / 4.0) as usize;
        let mut start = 0;
        let mut block_index = 0;
        while block_index < blocks.len() {
            let mut chunk_end = block_index;
            let mut chunk_len = 0;
            while chunk_end < blocks.len()
                && (chunk_len < chunk_samples || chunk_end == block_index)
            {
                chunk_len += blocks[chunk_end];
                chunk_end += 1;
            }
            let chunk = &blocks[block_index..chunk_end];
            let (input, output, automation) = (&mut input, &mut output, &automation);
            let statuses = &mut statuses;
            let mut chunk = Chunk {
                input,
                output,
                automation,
                start,
                blocks: chunk,
                tail,
                options,
                statuses,
            };
            if options.same_thread {
                process_chunk(&mut processor, &mut chunk);
                start += chunk_len;
                block_index = chunk_end;
                continue;
            }
            processor = std::thread::scope(|s| {
                s.spawn(move || {
                    process_chunk(&mut processor, &mut chunk);
                    processor
                })
                .join()
                .expect("the audio thread panicked")
            });
            start += chunk_len;
            block_index = chunk_end;
            self.service_main_thread();
        }
        let stopped = if options.same_thread {
            processor.ensure_processing_stopped();
            processor.into_stopped()
        } else {
            std::thread::scope(|s| {
                s.spawn(move || {
                    processor.ensure_processing_stopped();
                    processor.into_stopped()
                })
                .join()
                .expect("the audio thread panicked")
            })
        };
        self.instance.deactivate(stopped);
        if options.same_thread {
            return Render {
                output,
                latency_samples,
                statuses,
            };
        }
        self.service_main_thread();
        Render {
            output,
            latency_samples,
            statuses,
        }
    }
}

/// Consecutive blocks to process on the audio thread, and where their results go.
struct Chunk<'a> {
    input: &'a mut [Vec<f32>],
    output: &'a mut [Vec<f32>],
    automation: &'a [Automation],
    start: usize,
    blocks: &'a [usize],
    tail: Option<PluginTail>,
    options: RenderOptions,
    statuses: &'a mut Vec<(usize, ProcessStatus, Option<u32>)>,
}

/// Processes consecutive blocks starting at sample `chunk.start`, on the calling (audio)
/// thread.
fn process_chunk(processor: &mut PluginAudioProcessor<TestHost>, chunk: &mut Chunk<'_>) {
    let num_channels = chunk.input.len();
    let mut input_ports = AudioPorts::with_capacity(num_channels, 1);
    let mut output_ports = AudioPorts::with_capacity(num_channels, 1);
    let started = processor
        .ensure_processing_started()
        .unwrap_or_else(|e| panic!("start_processing failed: {e}"));
    let mut start = chunk.start;
    for &len in chunk.blocks {
        let end = start + len;
        if chunk.options.reset_at_sample == Some(start) {
            started.reset();
        }
        let events: Vec<ParamValueEvent> = chunk
            .automation
            .iter()
            .filter(|a| (start..end).contains(&a.at_sample))
            .map(|a| {
                let time = (a.at_sample - start) as u32;
                ParamValueEvent::new(time, a.id, Pckn::match_all(), a.value)
            })
            .collect();
        let inputs = input_ports.with_input_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_input_only(
                chunk
                    .input
                    .iter_mut()
                    .map(|c| InputChannel::variable(&mut c[start..end])),
            ),
        }]);
        let mut outputs = output_ports.with_output_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_output_only(
                chunk.output.iter_mut().map(|c| &mut c[start..end]),
            ),
        }]);
        let status = started
            .process(
                &inputs,
                &mut outputs,
                &InputEvents::from_buffer(&events),
                &mut OutputEvents::void(),
                Some(start as u64),
                None,
            )
            .unwrap_or_else(|e| panic!("process() failed at sample {start}: {e}"));
        let tail = chunk.tail.map(|t| match t.get(&started.plugin_handle()) {
            TailLength::Finite(n) => n,
            TailLength::Infinite => u32::MAX,
        });
        chunk.statuses.push((end, status, tail));
        start = end;
    }
}
