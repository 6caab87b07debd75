//! The task machinery between R and the core's dispatcher: what `push()`
//! hands over ([`arguments`]), the controller's handle on its dispatcher
//! ([`dispatcher_handles`]), task handles ([`handles`]) and promises on them
//! ([`promises`]), the tasks of one `walk()` ([`walk_items`]), result rows
//! ([`result_rows`]), values read while their bytes arrive
//! ([`early_values`]) and the source references a task leaves behind
//! ([`source_references`]).

pub mod arguments;
pub mod dispatcher_handles;
pub mod early_values;
pub mod handles;
pub mod promises;
pub mod result_rows;
pub mod source_references;
pub mod walk_items;
