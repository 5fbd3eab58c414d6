//! A stand-in for the host side of nice-plug's GUI context, shared by the editor tests and the
//! plugin-side Listen unit tests (`src/listen/tests.rs` includes this file): it applies each
//! parameter change to the parameter as nice-plug's wrappers do and logs the gestures as
//! "begin NAME", "set NAME", "end NAME".

use nice_plug::context::gui::GuiContextInner;
use nice_plug::prelude::{ParamPtr, PluginApi, PluginState};
use std::sync::Mutex;

/// The host stand-in; `log` holds the gestures in order.
#[derive(Default)]
pub struct RecordingHost {
    pub log: Mutex<Vec<String>>,
}

impl RecordingHost {
    fn note(&self, what: &str, param: ParamPtr) {
        // SAFETY: the pointer comes from the plugin's own parameters, alive for the call.
        let name = unsafe { param.name() }.to_owned();
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(format!("{what} {name}"));
    }
}

impl GuiContextInner for RecordingHost {
    fn plugin_api(&self) -> PluginApi {
        PluginApi::Clap
    }
    unsafe fn raw_begin_set_parameter(&self, param: ParamPtr) {
        self.note("begin", param);
    }
    unsafe fn raw_set_parameter_normalized(&self, param: ParamPtr, normalized: f32) {
        // SAFETY: as in `note`.
        unsafe { param._internal_set_normalized_value(normalized) };
        self.note("set", param);
    }
    unsafe fn raw_end_set_parameter(&self, param: ParamPtr) {
        self.note("end", param);
    }
    fn get_state(&self) -> PluginState {
        PluginState {
            version: String::new(),
            params: Default::default(),
            fields: Default::default(),
        }
    }
    fn set_state(&self, _state: PluginState) {}
    fn request_restart(&self) {}
}
