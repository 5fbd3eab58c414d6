//! The editor window's size and zoom, saved with the project: a host reopens the editor as the
//! user left it. The live window state (`EguiEditorState`, whose size nice-plug-egui updates on
//! every resize) is read when the project is saved; a loaded project's geometry is what the
//! next window opens with.

use super::{DEFAULT_SIZE, MIN_SIZE};
use nice_plug::params::persist::PersistentField;
use nice_plug_egui::EguiEditorState;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex, MutexGuard};

/// Zoom range the editor offers (its buttons' steps lie inside it).
pub const ZOOM_RANGE: (f32, f32) = (0.5, 3.0);
/// Largest window a saved project may ask for, logical px (a sanity bound for broken states).
const MAX_SIZE: (f32, f32) = (7680.0, 4320.0);

/// Window size in logical pixels and the user's zoom factor.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Geometry {
    /// Width, logical px.
    pub width: f32,
    /// Height, logical px.
    pub height: f32,
    /// Zoom factor (1 = 100 %).
    pub zoom: f32,
}

impl Default for Geometry {
    fn default() -> Self {
        Self {
            width: DEFAULT_SIZE.0,
            height: DEFAULT_SIZE.1,
            zoom: 1.0,
        }
    }
}

impl Geometry {
    /// The geometry with every value inside what the editor supports (a state from a newer
    /// or broken save cannot open an unusable window).
    pub fn sanitised(self) -> Self {
        let clamp = |v: f32, lo: f32, hi: f32, default: f32| {
            if v.is_finite() {
                v.clamp(lo, hi)
            } else {
                default
            }
        };
        Self {
            width: clamp(self.width, MIN_SIZE.0, MAX_SIZE.0, DEFAULT_SIZE.0),
            height: clamp(self.height, MIN_SIZE.1, MAX_SIZE.1, DEFAULT_SIZE.1),
            zoom: clamp(self.zoom, ZOOM_RANGE.0, ZOOM_RANGE.1, 1.0),
        }
    }
}

/// The persisted field: the saved geometry and, while an editor exists, its live state.
#[derive(Debug, Default)]
pub struct EditorGeometry {
    saved: Mutex<Geometry>,
    live: Mutex<Option<Arc<EguiEditorState>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl EditorGeometry {
    /// The geometry now: the live window's size if an editor was created, else the saved one.
    pub fn current(&self) -> Geometry {
        let saved = *lock(&self.saved);
        match lock(&self.live).as_ref() {
            Some(state) => {
                let size = state.logical_size();
                Geometry {
                    width: size.width,
                    height: size.height,
                    zoom: saved.zoom,
                }
                .sanitised()
            }
            None => saved.sanitised(),
        }
    }

    /// The window state for a new editor, opening at the current geometry's size.
    pub fn editor_state(&self) -> Arc<EguiEditorState> {
        let g = self.current();
        let state = EguiEditorState::from_size(
            nice_plug::editor::dpi::LogicalSize::new(g.width, g.height),
            1.0,
        );
        *lock(&self.live) = Some(state.clone());
        state
    }

    /// Records the user's zoom (the editor calls this when it changes).
    pub fn set_zoom(&self, zoom: f32) {
        let mut saved = lock(&self.saved);
        saved.zoom = Geometry { zoom, ..*saved }.sanitised().zoom;
    }
}

impl<'a> PersistentField<'a, Geometry> for EditorGeometry {
    fn set(&self, new_value: Geometry) {
        *lock(&self.saved) = new_value.sanitised();
        // A loaded project decides the size of the next window.
        *lock(&self.live) = None;
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&Geometry) -> R,
    {
        f(&self.current())
    }
}

/// The parameters hold the field in an `Arc` (the editor shares it).
impl<'a> PersistentField<'a, Geometry> for Arc<EditorGeometry> {
    fn set(&self, new_value: Geometry) {
        PersistentField::set(self.as_ref(), new_value);
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&Geometry) -> R,
    {
        PersistentField::map(self.as_ref(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loaded_geometry_opens_the_next_window_and_a_live_window_is_what_is_saved() {
        let g = EditorGeometry::default();
        assert_eq!(g.map(|v| *v), Geometry::default());
        let loaded = Geometry {
            width: 1200.0,
            height: 800.0,
            zoom: 1.25,
        };
        PersistentField::set(&g, loaded);
        let state = g.editor_state();
        let size = state.logical_size();
        assert_eq!((size.width, size.height), (1200.0, 800.0));
        assert_eq!(g.map(|v| *v), loaded);
        g.set_zoom(1.5);
        assert_eq!(g.map(|v| v.zoom), 1.5);
        // Serialised as a plain object (what goes into the project).
        let json = g.map(|v| serde_json::to_string(v).unwrap());
        assert_eq!(json, r#"{"width":1200.0,"height":800.0,"zoom":1.5}"#);
    }

    #[test]
    fn a_broken_geometry_opens_a_usable_window() {
        let g = EditorGeometry::default();
        PersistentField::set(
            &g,
            Geometry {
                width: f32::NAN,
                height: 10.0,
                zoom: 40.0,
            },
        );
        let v = g.map(|v| *v);
        assert_eq!(v.width, DEFAULT_SIZE.0);
        assert_eq!(v.height, MIN_SIZE.1);
        assert_eq!(v.zoom, ZOOM_RANGE.1);
    }
}
