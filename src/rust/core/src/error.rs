//! One error type for the core. Each variant has a stable kind name
//! ([`Error::kind`]); the binding passes it to R, which raises the error as
//! a `crew_error` of class `crew_error_<kind>` (see `R/conditions.R`), so
//! that callers can tell errors apart without reading their messages.

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
    /// A TLS certificate, key or password that cannot be used; the message
    /// says which and why.
    #[error("{0}")]
    Tls(String),
}

impl Error {
    /// The kind of the error: a stable name, in snake case, that R appends
    /// to `crew_error_` to make the condition's class. Two variants may
    /// share a kind when a caller would handle them alike (a port held by
    /// another program or by a controller with other TLS settings).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Io(error) if error.kind() == std::io::ErrorKind::AddrInUse => "address_in_use",
            Error::Io(_) => "network",
            Error::Protocol(_) => "protocol",
            Error::Authentication => "refused_worker",
            Error::ProfileActive { .. } => "profile_active",
            Error::PortShared { .. } => "address_in_use",
            Error::ProfileNotRunning(_) => "not_running",
            Error::DuplicateName(_) => "duplicate_name",
            Error::TooLarge { .. } => "too_large",
            Error::InvalidArgument(_) => "invalid_argument",
            Error::Forked => "forked",
            Error::Runtime(_) => "runtime",
            Error::Tls(_) => "tls",
        }
    }
}

/// Result alias for the core.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_has_a_stable_kind() {
        let in_use = std::io::Error::from(std::io::ErrorKind::AddrInUse);
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let cases = [
            (Error::Io(in_use), "address_in_use"),
            (Error::Io(refused), "network"),
            (Error::Protocol("x".into()), "protocol"),
            (Error::Authentication, "refused_worker"),
            (
                Error::ProfileActive {
                    profile: "p".into(),
                    url: "u".into(),
                },
                "profile_active",
            ),
            (
                Error::PortShared {
                    port: 1,
                    reason: "r".into(),
                },
                "address_in_use",
            ),
            (Error::ProfileNotRunning("p".into()), "not_running"),
            (Error::DuplicateName("n".into()), "duplicate_name"),
            (Error::TooLarge { bytes: 2, limit: 1 }, "too_large"),
            (Error::InvalidArgument("a".into()), "invalid_argument"),
            (Error::Forked, "forked"),
            (Error::Runtime("r".into()), "runtime"),
            (Error::Tls("t".into()), "tls"),
        ];
        for (error, kind) in cases {
            assert_eq!(error.kind(), kind, "{error}");
        }
    }

    #[test]
    fn tls_messages_read_as_given() {
        assert_eq!(
            Error::Tls("no PEM certificate found".into()).to_string(),
            "no PEM certificate found"
        );
    }
}
