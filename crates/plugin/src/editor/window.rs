//! The editor as the plugin hands it to the host: nice-plug-egui's editor, wrapped so that
//! [`MeterBus::editor_open`] is true exactly while at least one editor window exists. The
//! audio thread reads that flag to keep the GUI-only feeds (spectra, vectorscope) idle while
//! nobody looks; nice-plug-egui has no close callback for the app, but its window handle is
//! dropped when the host closes the editor, and so is ours.

use super::LacquerEditor;
use crate::meter::MeterBus;
use nice_plug::context::gui::GuiContext;
use nice_plug::editor::dpi::NativeSize;
use nice_plug::editor::{
    Editor, EditorHandle, HostMethods, Modifiers, ParentWindowHandle, ResizeHint, SpawnedEditor,
    VirtualKeyCode,
};
use nice_plug::plugin::TrackInfo;
use nice_plug_egui::{EguiEditor, EguiEditorHandle, baseview};
use std::error::Error;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts open windows and mirrors "any open" into the meter bus.
#[derive(Debug)]
pub struct OpenCount {
    num_open: AtomicUsize,
    bus: Arc<MeterBus>,
}

impl OpenCount {
    /// A counter for `bus`, nothing open.
    pub fn new(bus: Arc<MeterBus>) -> Arc<Self> {
        Arc::new(Self {
            num_open: AtomicUsize::new(0),
            bus,
        })
    }

    /// Windows open now.
    pub fn num_open(&self) -> usize {
        self.num_open.load(Ordering::Acquire)
    }

    fn opened(&self) {
        self.num_open.fetch_add(1, Ordering::AcqRel);
        self.bus.editor_open.store(true, Ordering::Release);
    }

    fn closed(&self) {
        let before = self.num_open.fetch_sub(1, Ordering::AcqRel);
        if before <= 1 {
            self.bus.editor_open.store(false, Ordering::Release);
        }
    }
}

/// A token that counts as one open window until dropped.
pub struct OpenToken {
    count: Arc<OpenCount>,
}

impl OpenToken {
    /// Marks one more window open.
    pub fn open(count: &Arc<OpenCount>) -> Self {
        count.opened();
        Self {
            count: count.clone(),
        }
    }
}

impl Drop for OpenToken {
    fn drop(&mut self) {
        self.count.closed();
    }
}

/// Lacquer's editor: nice-plug-egui's, plus the open flag.
pub struct LacquerEguiEditor {
    pub(super) inner: EguiEditor<LacquerEditor>,
    pub(super) open_count: Arc<OpenCount>,
}

/// Handle of one open editor window; dropping it (the host closed the editor) clears the
/// open flag when it was the last one.
pub struct LacquerEditorHandle {
    inner: EguiEditorHandle,
    _open: OpenToken,
}

impl Editor for LacquerEguiEditor {
    type Handle = LacquerEditorHandle;

    fn spawn(
        &self,
        parent: Option<ParentWindowHandle>,
        wait_for_parent: bool,
        fallback_scale_factor: Option<f64>,
        gui_context: GuiContext,
        host: Option<HostMethods>,
    ) -> Result<SpawnedEditor<Self::Handle>, Box<dyn Error>> {
        let spawned = self.inner.spawn(
            parent,
            wait_for_parent,
            fallback_scale_factor,
            gui_context,
            host,
        )?;
        Ok(SpawnedEditor {
            handle: LacquerEditorHandle {
                inner: spawned.handle,
                _open: OpenToken::open(&self.open_count),
            },
            window: spawned.window,
        })
    }

    fn size(&self) -> NativeSize<u32> {
        self.inner.size()
    }

    fn resize_hint(&self) -> ResizeHint {
        self.inner.resize_hint()
    }

    fn track_info_updated(&self, info: TrackInfo) {
        self.inner.track_info_updated(info);
    }

    unsafe fn assume_standalone_in_process(&self) {
        // SAFETY: same contract as the wrapped editor's; the caller upholds it.
        unsafe { self.inner.assume_standalone_in_process() }
    }
}

impl EditorHandle for LacquerEditorHandle {
    type Window = baseview::Window;
    type Error = baseview::Error;

    fn run_until_closed(window: Self::Window) -> Result<(), Self::Error> {
        EguiEditorHandle::run_until_closed(window)
    }

    fn set_parent(
        &self,
        parent: ParentWindowHandle,
        window: &Self::Window,
    ) -> Result<(), Self::Error> {
        self.inner.set_parent(parent, window)
    }

    fn show(&self, window: &Self::Window) -> Result<(), Self::Error> {
        self.inner.show(window)
    }

    fn hide(&self, window: &Self::Window) -> Result<(), Self::Error> {
        self.inner.hide(window)
    }

    fn set_size(
        &self,
        new_size: NativeSize<u32>,
        window: &Self::Window,
    ) -> Result<(), Self::Error> {
        self.inner.set_size(new_size, window)
    }

    fn host_main_thread_callback(&self, window: &Self::Window) {
        self.inner.host_main_thread_callback(window);
    }

    fn adjust_size(
        &self,
        new_size: NativeSize<u32>,
        window: &Self::Window,
    ) -> Option<NativeSize<u32>> {
        self.inner.adjust_size(new_size, window)
    }

    fn set_fallback_scale_factor(
        &self,
        scale_factor: f64,
        window: &Self::Window,
    ) -> Result<(), Self::Error> {
        self.inner.set_fallback_scale_factor(scale_factor, window)
    }

    fn on_virtual_key_from_host(
        &self,
        key_code: VirtualKeyCode,
        is_down: bool,
        modifiers: Modifiers,
    ) -> bool {
        self.inner
            .on_virtual_key_from_host(key_code, is_down, modifiers)
    }

    fn state_changed(&self) {
        self.inner.state_changed();
    }

    fn param_value_changed(&self, id: &str, normalized_value: f32) {
        self.inner.param_value_changed(id, normalized_value);
    }

    fn param_modulation_changed(&self, id: &str, modulation_offset: f32) {
        self.inner.param_modulation_changed(id, modulation_offset);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_flag_follows_the_windows() {
        let bus = Arc::new(MeterBus::default());
        let count = OpenCount::new(bus.clone());
        assert!(!bus.editor_open.load(Ordering::Relaxed));
        let a = OpenToken::open(&count);
        assert!(bus.editor_open.load(Ordering::Relaxed));
        let b = OpenToken::open(&count);
        drop(a);
        assert!(
            bus.editor_open.load(Ordering::Relaxed),
            "one window still open"
        );
        drop(b);
        assert!(!bus.editor_open.load(Ordering::Relaxed));
        assert_eq!(count.num_open(), 0);
    }
}
