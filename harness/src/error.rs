//! Errors the user can fix by changing the command line or its inputs (exit code 2).

/// A usage or input error: reported as one line, exit code 2, before anything is measured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

impl UsageError {
    pub fn new(message: impl Into<String>) -> Self {
        UsageError(message.into())
    }
}
