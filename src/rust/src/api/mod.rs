//! Every entry point R calls, one file per subject. The extendr functions
//! are gathered by `extendr_module!` in `lib.rs`; the raw `.Call` entry
//! points (the per-task paths, where extendr's wrapping would cost more
//! than the work) are listed in [`routines`], the one table that registers
//! them. Entry points convert arguments and results and leave the work to
//! the core, to [`crate::tasks`] and to [`crate::serial`].

pub mod autoscale;
pub mod dashboard;
pub mod dispatcher;
pub mod handles;
pub mod metrics;
pub mod process;
pub mod roster;
pub mod routines;
pub mod signal;
pub mod signal_handles;
pub mod task_rules;
pub mod tasks;
pub mod tls;
pub mod util;
pub mod worker;
