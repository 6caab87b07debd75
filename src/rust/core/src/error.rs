//! One error type for the core. Each variant maps to one R condition class
//! in the binding (all of them to `crew_error` today).

/// Errors the core reports to its callers.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("network error: {0}")]
    Io(#[from] std::io::Error),
    #[error("protocol error: {0}")]
    Protocol(String),
    #[error("authentication failed")]
    Authentication,
    #[error("compute profile '{profile}' is already active at URL {url}. Each crew controller must have a unique compute profile, and a profile cannot be started twice.")]
    ProfileActive { profile: String, url: String },
    #[error("port {port} cannot be shared: {reason}")]
    PortShared { port: u16, reason: String },
    #[error("compute profile '{0}' is not running")]
    ProfileNotRunning(String),
    /// The words users see when they push a name in use, wherever it is
    /// refused: the binding passes them on, and R asks for them.
    #[error("crew task name \"{0}\" already exists in the controller. Pop or collect that task before pushing another one of the same name.")]
    DuplicateName(String),
    #[error(
        "the task is {bytes} bytes, more than the {limit} bytes one frame of a connection carries"
    )]
    TooLarge { bytes: u64, limit: u64 },
    /// The message says which argument and what is wrong with it, in words
    /// R shows as they are.
    #[error("{0}")]
    InvalidArgument(String),
    #[error("the crew background runtime cannot be used in a forked child process (for example parallel::mclapply); use a PSOCK cluster or a crew controller instead")]
    Forked,
    #[error("the crew background runtime could not start: {0}")]
    Runtime(String),
}

/// Result alias for the core.
pub type Result<T> = std::result::Result<T, Error>;
