pub mod arguments;
pub mod dispatcher_handles;
pub mod early_values;
pub mod handles;
pub mod promises;
pub mod result_rows;
pub mod walk_items;
