//! The editor against a running audio thread, headless (egui draws without a window; the
//! real window is covered by the screenshot step of `cargo xtask test`):
//!
//! - opening and closing it 50 times leaks nothing (live heap measured by a counting global
//!   allocator) and never blocks the audio thread (which keeps processing while the GUI thread
//!   holds the editor's lock through a slow frame, as nice-plug-egui holds it while drawing);
//! - with the editor closed the spectrum producers are idle, and they run again once open;
//! - the audio thread's meter path allocates nothing while the editor is open and updating;
//! - a double-click on a knob resets its parameter through one begin/set/end gesture;
//! - every control is an automatable host parameter showing its unit, and every host parameter
//!   has a control.
//!
//! The "audio thread" runs exactly what `Lacquer::process` runs for the editor:
//! `EditorFeeds::capture_input`, the loudness meter, `EditorFeeds::capture_output` and
//! `EditorFeeds::capture_resonance` (of a resonance stage at 100 %).

#[path = "common/gui_host.rs"]
mod gui_host;

use egui::{Pos2, RawInput, Rect, vec2};
use lacquer::dsp::resonance::{Resonance, ResonanceSettings};
use lacquer::editor::window::{OpenCount, OpenToken};
use lacquer::editor::{HeaderLayout, LacquerEditor, Page, header_layout};
use lacquer::meter::{EditorFeeds, LoudnessMeter, MeterBus};
use lacquer::params::LacquerParams;
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use gui_host::RecordingHost as TestHost;

/// Counts live heap bytes (all threads) and allocations made on the thread marked as audio.
struct CountingAllocator;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);
static AUDIO_THREAD_ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static ON_AUDIO_THREAD: Cell<bool> = const { Cell::new(false) };
}

fn note_allocation(bytes: usize) {
    LIVE_BYTES.fetch_add(bytes as isize, Ordering::Relaxed);
    if ON_AUDIO_THREAD.try_with(Cell::get).unwrap_or(false) {
        AUDIO_THREAD_ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE_BYTES.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        note_allocation(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// The tests measure the whole process's heap: run them one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// An editor over fresh parameters, attached to a recording host stand-in as a window would be.
struct Opened {
    params: Arc<LacquerParams>,
    host: Arc<TestHost>,
    app: LacquerEditor,
    ctx: egui::Context,
}

fn opened_editor() -> Opened {
    let params = Arc::new(LacquerParams::default());
    let (_feeds, readers) = EditorFeeds::new();
    let host = Arc::new(TestHost::default());
    let mut app = LacquerEditor::new(params.clone(), Arc::new(MeterBus::default()), readers);
    let ctx = egui::Context::default();
    app.attach(&ctx, GuiContext::new(host.clone()));
    Opened {
        params,
        host,
        app,
        ctx,
    }
}

fn screen(width: f32, height: f32) -> RawInput {
    RawInput {
        screen_rect: Some(Rect::from_min_size(Pos2::ZERO, vec2(width, height))),
        ..Default::default()
    }
}

/// One frame of the editor, tessellated as a window would (the texture updates are dropped:
/// there is no GPU).
fn frame(ctx: &egui::Context, input: RawInput, app: &mut LacquerEditor) {
    let mut output = ctx.run_ui(input, |ui| app.draw(ui));
    let shapes = std::mem::take(&mut output.shapes);
    let meshes = ctx.tessellate(shapes, output.pixels_per_point);
    assert!(!meshes.is_empty(), "the editor drew nothing");
    output.textures_delta.clear();
}

/// A running stand-in for the audio thread: 512-sample stereo blocks of a music-like signal
/// through the editor feeds, the loudness meter and the resonance stage (whose reduction is
/// published), about one block per millisecond.
struct AudioThread {
    stop: Arc<AtomicBool>,
    num_blocks: Arc<AtomicU64>,
    num_spectrum_frames: Arc<AtomicU64>,
    handle: Option<thread::JoinHandle<()>>,
}

impl AudioThread {
    fn start(mut feeds: EditorFeeds, bus: Arc<MeterBus>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let num_blocks = Arc::new(AtomicU64::new(0));
        let num_spectrum_frames = Arc::new(AtomicU64::new(0));
        let (s, b, f) = (
            stop.clone(),
            num_blocks.clone(),
            num_spectrum_frames.clone(),
        );
        let handle = thread::spawn(move || {
            let mut meter = LoudnessMeter::default();
            meter.configure(2, 48_000.0);
            // The resonance stage in, as the chain runs it (its reduction is published to the
            // editor like the plugin's `process` does).
            let mut resonance = Resonance::new();
            resonance.configure(48_000.0);
            resonance.set_settings(&ResonanceSettings {
                amount_pct: 100.0,
                ..Default::default()
            });
            // Two detuned tones and a little noise, different per channel.
            let mut seed = 0x2545_f491_4f6c_dd1du64;
            let signal: Vec<Vec<f32>> = (0..2)
                .map(|ch| {
                    (0..48_000)
                        .map(|i| {
                            seed ^= seed << 13;
                            seed ^= seed >> 7;
                            seed ^= seed << 17;
                            let noise = (seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
                            let t = i as f32 / 48_000.0;
                            0.3 * (2.0 * std::f32::consts::PI * 110.0 * t).sin()
                                + 0.1
                                    * (2.0 * std::f32::consts::PI * (2200.0 + ch as f32) * t).sin()
                                + 0.05 * noise
                        })
                        .collect()
                })
                .collect();
            let mut block = [vec![0.0f32; 512], vec![0.0f32; 512]];
            let mut pos = 0;
            while !s.load(Ordering::Relaxed) {
                ON_AUDIO_THREAD.with(|c| c.set(true));
                for (out, src) in block.iter_mut().zip(&signal) {
                    for (i, x) in out.iter_mut().enumerate() {
                        *x = src[(pos + i) % src.len()];
                    }
                }
                pos = (pos + 512) % 48_000;
                feeds.capture_input(&block, &bus);
                {
                    let [l, r] = &mut block;
                    meter.process(&[l.as_mut_slice(), r.as_mut_slice()], &bus);
                }
                {
                    let [l, r] = &mut block;
                    resonance.process(&mut [l.as_mut_slice(), r.as_mut_slice()]);
                }
                feeds.capture_output(&block, &bus, 1.5);
                feeds.capture_resonance(
                    Some([resonance.mid_reduction_db(), resonance.side_reduction_db()]),
                    &bus,
                );
                bus.publish_gain_reduction(1.0, 1.5, [0.5, 1.0, 0.25]);
                f.store(feeds.num_output_spectrum_frames(), Ordering::Relaxed);
                b.fetch_add(1, Ordering::Relaxed);
                ON_AUDIO_THREAD.with(|c| c.set(false));
                thread::sleep(Duration::from_millis(1));
            }
        });
        Self {
            stop,
            num_blocks,
            num_spectrum_frames,
            handle: Some(handle),
        }
    }

    fn blocks(&self) -> u64 {
        self.num_blocks.load(Ordering::Relaxed)
    }

    fn spectrum_frames(&self) -> u64 {
        self.num_spectrum_frames.load(Ordering::Relaxed)
    }
}

impl Drop for AudioThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Waits until the audio thread has processed `n` more blocks (at most 5 s).
fn wait_blocks(audio: &AudioThread, n: u64) {
    let target = audio.blocks() + n;
    for _ in 0..5000 {
        if audio.blocks() >= target {
            return;
        }
        thread::sleep(Duration::from_millis(1));
    }
    panic!("the audio thread stalled");
}

#[test]
fn open_close_50_times_leaks_nothing_never_blocks_audio_and_idles_when_closed() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let params = Arc::new(LacquerParams::default());
    let bus = Arc::new(MeterBus::default());
    let (mut feeds, readers) = EditorFeeds::new();
    feeds.configure(48_000.0, &bus);
    let host = Arc::new(TestHost::default());
    // The app lives as long as the plugin, behind a lock like nice-plug-egui keeps it.
    let app = Arc::new(Mutex::new(LacquerEditor::new(params, bus.clone(), readers)));
    let open_count = OpenCount::new(bus.clone());
    let audio = AudioThread::start(feeds, bus.clone());
    wait_blocks(&audio, 20);
    assert_eq!(
        audio.spectrum_frames(),
        0,
        "spectrum ran before any editor opened"
    );

    let mut live_after_warm_up = 0isize;
    for cycle in 0..50 {
        // Open: what LacquerEguiEditor::spawn and the first frames do.
        let token = OpenToken::open(&open_count);
        assert!(bus.editor_open.load(Ordering::Relaxed));
        let ctx = egui::Context::default();
        app.lock()
            .unwrap()
            .attach(&ctx, GuiContext::new(host.clone()));
        let frames_at_open = audio.spectrum_frames();
        for _ in 0..3 {
            wait_blocks(&audio, 20);
            let mut a = app.lock().unwrap();
            frame(&ctx, screen(960.0, 600.0), &mut a);
        }
        if cycle % 10 == 0 {
            assert!(
                audio.spectrum_frames() > frames_at_open,
                "cycle {cycle}: no spectrum frame while open"
            );
            // A slow GUI frame (the editor's lock held for 200 ms) must not stop the audio.
            let guard = app.lock().unwrap();
            let before = audio.blocks();
            thread::sleep(Duration::from_millis(200));
            let during = audio.blocks() - before;
            drop(guard);
            assert!(
                during >= 20,
                "cycle {cycle}: only {during} blocks while the GUI stalled"
            );
        }
        // Close: the window and its context go, the token with them.
        drop(ctx);
        drop(token);
        assert!(!bus.editor_open.load(Ordering::Relaxed));
        if cycle % 10 == 5 {
            wait_blocks(&audio, 5);
            let idle_from = audio.spectrum_frames();
            wait_blocks(&audio, 60);
            assert_eq!(
                audio.spectrum_frames(),
                idle_from,
                "cycle {cycle}: spectrum frames while closed"
            );
        }
        if cycle == 9 {
            live_after_warm_up = LIVE_BYTES.load(Ordering::Relaxed);
        }
    }
    let growth = LIVE_BYTES.load(Ordering::Relaxed) - live_after_warm_up;
    // One egui context with its font atlas is megabytes: a leaked window per cycle would
    // show as tens of megabytes over 40 cycles.
    assert!(
        growth < 256 * 1024,
        "live heap grew by {growth} bytes over 40 open/close cycles"
    );
    assert_eq!(open_count.num_open(), 0);
}

#[test]
fn audio_thread_does_not_allocate_while_the_editor_is_open_and_updating() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let params = Arc::new(LacquerParams::default());
    let bus = Arc::new(MeterBus::default());
    // Resonance in, so the editor draws its reduction over the spectrum as well.
    // SAFETY: nothing else reads or writes the parameters yet.
    unsafe {
        params
            .resonance
            .amount
            .as_ptr()
            ._internal_set_normalized_value(1.0)
    };
    let (mut feeds, readers) = EditorFeeds::new();
    feeds.configure(48_000.0, &bus);
    let mut app = LacquerEditor::new(params, bus.clone(), readers);
    let open_count = OpenCount::new(bus.clone());
    let _token = OpenToken::open(&open_count);
    let ctx = egui::Context::default();
    app.attach(&ctx, GuiContext::new(Arc::new(TestHost::default())));
    let audio = AudioThread::start(feeds, bus.clone());
    wait_blocks(&audio, 5);
    let before = AUDIO_THREAD_ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..30 {
        wait_blocks(&audio, 10);
        frame(&ctx, screen(960.0, 600.0), &mut app);
    }
    assert!(audio.spectrum_frames() > 3, "the feeds were not running");
    assert!(
        app.resonance_overlay().deepest_db() > 0.5,
        "the resonance stage's reduction did not reach the editor"
    );
    assert_eq!(
        AUDIO_THREAD_ALLOCATIONS.load(Ordering::Relaxed) - before,
        0,
        "the audio thread allocated while the editor was open"
    );
}

#[test]
fn double_click_on_a_knob_resets_it_with_one_gesture() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Opened {
        params,
        host,
        mut app,
        ctx,
    } = opened_editor();
    // Move Drive away from its default, as the host would.
    let drive = params.drive.as_ptr();
    unsafe { drive._internal_set_normalized_value(0.9) };
    assert!((params.drive.value() - 0.0).abs() > 1.0);
    // Panels take their size from the previous frame: lay out twice.
    frame(&ctx, screen(960.0, 600.0), &mut app);
    frame(&ctx, screen(960.0, 600.0), &mut app);
    let knob_centre = drive_knob_centre(&ctx);
    let click = |pressed: bool| egui::Event::PointerButton {
        pos: knob_centre,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: egui::Modifiers::NONE,
    };
    for (i, events) in [
        vec![egui::Event::PointerMoved(knob_centre)],
        vec![click(true)],
        vec![click(false)],
        vec![click(true)],
        vec![click(false)],
        vec![],
    ]
    .into_iter()
    .enumerate()
    {
        let mut input = screen(960.0, 600.0);
        // 50 ms between frames: the two clicks fall well inside egui's double-click time.
        input.time = Some(1.0 + 0.05 * i as f64);
        input.events = events;
        frame(&ctx, input, &mut app);
    }
    assert_eq!(params.drive.value(), 0.0, "Drive not reset to its default");
    let log = host.log.lock().unwrap().clone();
    assert_eq!(
        log,
        ["begin Drive", "set Drive", "end Drive"],
        "gesture log {log:?}"
    );
}

/// Where the Drive knob was drawn in the last frame (its stable id).
fn drive_knob_centre(ctx: &egui::Context) -> Pos2 {
    ctx.read_response(lacquer::editor::knob_id("Drive"))
        .map(|r| r.rect.center())
        .expect("a Drive knob was drawn")
}

#[test]
fn every_control_is_a_host_parameter_showing_its_unit_and_every_parameter_has_a_control() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Opened {
        params,
        mut app,
        ctx,
        ..
    } = opened_editor();
    for page in [Page::Master, Page::Expert, Page::Assistant] {
        app.show_page(page);
        frame(&ctx, screen(960.0, 600.0), &mut app);
        frame(&ctx, screen(960.0, 600.0), &mut app);
    }
    let shown = lacquer::editor::shown_controls(&ctx).0;
    let host_params = params.param_map();
    // Every control stands for a host parameter (by its name; the host knows it by the id in
    // the map), automatable, and shows the parameter's unit with its value.
    for (name, text) in &shown {
        let (id, ptr, _) = host_params
            .iter()
            .find(|(_, p, _)| unsafe { p.name() } == name)
            .unwrap_or_else(|| panic!("the control '{name}' is not a host parameter"));
        let flags = unsafe { ptr.flags() };
        assert!(
            !flags.contains(ParamFlags::NON_AUTOMATABLE),
            "'{name}' ({id}) is not automatable"
        );
        let unit = unsafe { ptr.unit() }.trim();
        assert!(
            unit.is_empty() || text.contains(unit),
            "'{name}' ({id}) shows '{text}' without its unit '{unit}'"
        );
    }
    // Every host parameter has a control somewhere in the editor.
    for (id, ptr, _) in &host_params {
        let name = unsafe { ptr.name() };
        assert!(
            shown.contains_key(name),
            "the host parameter {id} ('{name}') has no control in the editor"
        );
    }
    // Units are shown where the parameter has one (spot checks against the README table).
    assert!(shown["Drive"].ends_with(" dB"), "{}", shown["Drive"]);
    assert!(shown["Ceiling"].ends_with(" dBTP"), "{}", shown["Ceiling"]);
    assert!(shown["Target Loudness"].ends_with(" LUFS"));
    assert!(shown["Bass Mono"] == "Off" || shown["Bass Mono"].ends_with(" Hz"));
}

#[test]
fn the_window_zoom_comes_back_with_the_project_and_a_new_zoom_is_saved() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // A project saved with the editor at 125 %, loaded into a fresh instance.
    let saved = LacquerParams::default();
    let mut fields = saved.serialize_fields();
    let editor = fields
        .get_mut("editor")
        .expect("the editor geometry is saved");
    assert_eq!(editor, r#"{"width":960.0,"height":600.0,"zoom":1.0}"#);
    *editor = r#"{"width":1100.0,"height":700.0,"zoom":1.25}"#.to_string();
    let params = Arc::new(LacquerParams::default());
    params.deserialize_fields(&fields);

    let (_feeds, readers) = EditorFeeds::new();
    let mut app = LacquerEditor::new(params.clone(), Arc::new(MeterBus::default()), readers);
    let ctx = egui::Context::default();
    app.attach(&ctx, GuiContext::new(Arc::new(TestHost::default())));
    frame(&ctx, screen(1100.0, 700.0), &mut app);
    assert_eq!(ctx.zoom_factor(), 1.25);
    let state = params.editor_geometry.editor_state();
    let size = state.logical_size();
    assert_eq!((size.width, size.height), (1100.0, 700.0));

    // The user zooms to 150 % (Ctrl + or the buttons both end in egui's zoom factor).
    ctx.set_zoom_factor(1.5);
    frame(&ctx, screen(1100.0, 700.0), &mut app);
    frame(&ctx, screen(1100.0, 700.0), &mut app);
    assert_eq!(
        params.serialize_fields()["editor"],
        r#"{"width":1100.0,"height":700.0,"zoom":1.5}"#
    );
}

#[test]
fn the_header_controls_never_overlap_the_zoom_menu() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Opened {
        params,
        mut app,
        ctx,
        ..
    } = opened_editor();
    // Compare with Match Loudness (the default) adds its level note to the bar.
    for compare in [false, true] {
        // SAFETY: nothing else reads or writes the parameters (no audio thread here).
        unsafe {
            params
                .compare
                .as_ptr()
                ._internal_set_normalized_value(if compare { 1.0 } else { 0.0 })
        };
        for width in [800.0, 960.0, 1100.0, 1400.0] {
            // Panels take their size from the previous frame: lay out twice.
            frame(&ctx, screen(width, 600.0), &mut app);
            frame(&ctx, screen(width, 600.0), &mut app);
            let HeaderLayout { controls, zoom } = header_layout(&ctx).expect("no header drawn");
            let case = format!("{width} px, Compare {compare}: {controls:?} and {zoom:?}");
            assert!(controls.max.x <= zoom.min.x, "overlap at {case}");
            assert!(
                zoom.max.x <= width && controls.min.x >= 0.0,
                "outside at {case}"
            );
            if width >= 960.0 && !compare {
                // The default window holds the bar on one row.
                assert!(
                    controls.height() <= zoom.height() + 8.0,
                    "two rows at {case}"
                );
            }
        }
    }
}
