//! Text that repeats from result to result of one worker (the status, the
//! command of a `map()`, the algorithm, the controller's name) is kept once:
//! each result stored after the first holds a count on the same string
//! rather than a copy of it. A million stored results of one `walk()` hold
//! one copy of its command instead of a million.

use crate::protocol::ResultMeta;
use std::sync::Arc;

/// The last text of each repeating field a worker sent.
#[derive(Default)]
pub(crate) struct SharedText {
    status: Option<Arc<str>>,
    command: Option<Arc<str>>,
    algorithm: Option<Arc<str>>,
    controller: Option<Arc<str>>,
}

impl SharedText {
    /// `meta` with its repeating text replaced by the kept copies where
    /// they are equal; text that differs becomes the kept copy.
    pub(crate) fn share(&mut self, mut meta: ResultMeta) -> ResultMeta {
        meta.status = keep(&mut self.status, meta.status);
        meta.command = meta.command.map(|text| keep(&mut self.command, text));
        if let Some(extras) = meta.extras.as_mut() {
            extras.algorithm = extras
                .algorithm
                .take()
                .map(|text| keep(&mut self.algorithm, text));
        }
        meta.controller = meta.controller.map(|text| keep(&mut self.controller, text));
        meta
    }
}

fn keep(kept: &mut Option<Arc<str>>, text: Arc<str>) -> Arc<str> {
    match kept {
        Some(same) if **same == *text => same.clone(),
        _ => {
            *kept = Some(text.clone());
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(command: &str) -> ResultMeta {
        ResultMeta {
            status: "success".into(),
            code: 0,
            command: Some(command.into()),
            extras: None,
            seconds: Some(0.0),
            controller: Some("controller".into()),
        }
    }

    #[test]
    fn equal_text_is_shared_and_different_text_replaces_it() {
        let mut shared = SharedText::default();
        let first = shared.share(meta("x + 1"));
        let second = shared.share(meta("x + 1"));
        assert!(Arc::ptr_eq(
            first.command.as_ref().unwrap(),
            second.command.as_ref().unwrap()
        ));
        assert!(Arc::ptr_eq(&first.status, &second.status));
        assert!(Arc::ptr_eq(
            first.controller.as_ref().unwrap(),
            second.controller.as_ref().unwrap()
        ));
        let third = shared.share(meta("y + 2"));
        assert_eq!(third.command.as_deref(), Some("y + 2"));
        assert_eq!(second.command.as_deref(), Some("x + 1"));
        let fourth = shared.share(meta("y + 2"));
        assert!(Arc::ptr_eq(
            third.command.as_ref().unwrap(),
            fourth.command.as_ref().unwrap()
        ));
        assert_eq!(fourth, meta("y + 2"));
    }
}
