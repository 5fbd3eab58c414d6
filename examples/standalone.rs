//! Standalone build of Lacquer for the editor's screenshot test (placeholder, filled in next).

fn main() {
    nice_plug::prelude::nice_export_standalone::<lacquer::Lacquer>();
}
