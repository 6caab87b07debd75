//! What a dashboard shows at one moment: for each controller, whether its
//! dispatcher runs, its task counts and its workers, as one JSON
//! document. Controllers are found by compute profile on every snapshot,
//! so a dashboard may start before its controllers and outlive them.

use super::json::Writer;
use crate::dispatcher::roster::{Board, WorkerRow, WorkerState};
use crate::registry;
use std::time::{SystemTime, UNIX_EPOCH};

const MB: f64 = 1024.0 * 1024.0;

/// Workers that left, per controller, that a snapshot carries: the most
/// recent ones. A dispatcher remembers up to a thousand, more than a page
/// can show, and every open page gets several snapshots a second.
pub const ENDED_SHOWN: usize = 200;

/// A controller's part of a snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub name: String,
    pub running: bool,
    pub board: Board,
    pub workers: Vec<WorkerRow>,
}

/// The controller `name` of compute `profile` as it is now. A stopped
/// profile's board reads zero; its last workers are still shown.
pub fn view(name: &str, profile: &str) -> View {
    let (running, board, workers) = match registry::get(profile) {
        Some(dispatcher) if !dispatcher.is_closed() => {
            (true, dispatcher.board(), dispatcher.roster())
        }
        _ => (
            false,
            Board::default(),
            registry::roster(profile).unwrap_or_default(),
        ),
    };
    View {
        name: name.to_string(),
        running,
        board,
        workers: recent(workers),
    }
}

/// The rows of `workers` without the older ones of those that left.
fn recent(mut workers: Vec<WorkerRow>) -> Vec<WorkerRow> {
    let left = |row: &WorkerRow| matches!(row.state, WorkerState::Lost | WorkerState::Exited);
    let ended = workers.iter().filter(|row| left(row)).count();
    let mut skip = ended.saturating_sub(ENDED_SHOWN);
    workers.retain(|row| {
        if skip > 0 && left(row) {
            skip -= 1;
            return false;
        }
        true
    });
    workers
}

/// A sum of the "task resolved" counts of the running dispatchers of
/// `profiles`: when it changes, a snapshot has news.
pub fn generation<'a>(profiles: impl Iterator<Item = &'a str>) -> u64 {
    profiles
        .filter_map(registry::get)
        .map(|dispatcher| dispatcher.signal().generation())
        .fold(0u64, u64::wrapping_add)
}

/// Seconds since the Unix epoch.
pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The snapshot document of `views` taken at `time`.
pub fn write(time: f64, views: &[View]) -> String {
    let mut w = Writer::new();
    w.begin_object();
    w.key("time");
    w.number(Some(time));
    w.key("controllers");
    w.begin_array();
    for view in views {
        write_view(&mut w, view);
    }
    w.end_array();
    w.end_object();
    w.finish()
}

fn write_view(w: &mut Writer, view: &View) {
    let b = &view.board;
    w.begin_object();
    w.key("name");
    w.string(Some(&view.name));
    w.key("running");
    w.boolean(view.running);
    w.key("board");
    w.begin_object();
    for (key, value) in [
        ("queued", b.queued),
        ("held", b.held),
        ("running", b.running),
        ("done", b.done),
        ("errors", b.errors),
        ("crashes", b.crashes),
        ("cancellations", b.cancellations),
        ("connected", b.connected),
    ] {
        w.key(key);
        w.integer(Some(value.min(i64::MAX as u64) as i64));
    }
    w.end_object();
    w.key("workers");
    w.begin_array();
    for row in &view.workers {
        write_row(w, row);
    }
    w.end_array();
    w.end_object();
}

fn write_row(w: &mut Writer, row: &WorkerRow) {
    let mb = |bytes: Option<u64>| bytes.map(|b| b as f64 / MB);
    w.begin_object();
    w.key("worker");
    w.integer(row.worker.map(|id| id.min(i64::MAX as u64) as i64));
    w.key("host");
    w.string(row.host.as_deref());
    w.key("pid");
    w.integer(row.pid.map(i64::from));
    w.key("state");
    w.string(Some(row.state.name()));
    w.key("seconds_launched");
    w.number(row.seconds_launched);
    w.key("task");
    w.string(row.task.as_deref());
    w.key("seconds_task");
    w.number(row.seconds_task);
    w.key("tasks_done");
    w.integer(Some(row.tasks_done.min(i64::MAX as u64) as i64));
    w.key("cpu_percent");
    w.number(row.cpu_percent);
    w.key("resident_mb");
    w.number(mb(row.resident_bytes));
    w.key("peak_resident_mb");
    w.number(mb(row.peak_resident_bytes));
    w.key("seconds_heartbeat");
    w.number(row.seconds_heartbeat);
    w.key("ended");
    w.string(row.ending.map(|e| e.describe()).as_deref());
    w.key("exit_status");
    w.integer(row.exit_status.map(i64::from));
    w.end_object();
}

#[cfg(test)]
mod tests {
    use super::super::json::read::{parse, Value};
    use super::*;
    use crate::dispatcher::roster::Ending;
    use std::sync::Arc;

    fn row(state: WorkerState, pid: u32) -> WorkerRow {
        WorkerRow {
            worker: Some(u64::from(pid)),
            host: Some(Arc::from("node-1")),
            pid: Some(pid),
            state,
            seconds_launched: Some(12.5),
            task: None,
            seconds_task: None,
            tasks_done: 3,
            cpu_percent: Some(f64::NAN),
            resident_bytes: Some(512 * 1024 * 1024),
            peak_resident_bytes: Some(600 * 1024 * 1024),
            seconds_heartbeat: Some(0.25),
            ending: None,
            exit_status: None,
        }
    }

    #[test]
    fn a_snapshot_holds_every_field_and_escapes_odd_task_names() {
        let odd = "quote \" back\\slash\nnew line </script><b>x</b> naïve 数据 🚀";
        let mut running = row(WorkerState::Running, 1234);
        running.task = Some(Arc::from(odd));
        running.seconds_task = Some(7.0);
        let mut lost = row(WorkerState::Lost, 99);
        lost.ending = Some(Ending::MissedHeartbeats(10.0));
        lost.exit_status = Some(-9);
        lost.task = Some(Arc::from("t\u{0}\u{1f}"));
        let launching = WorkerRow {
            worker: None,
            host: None,
            pid: None,
            ..row(WorkerState::Launching, 0)
        };
        let views = [
            View {
                name: "a \"b\"".to_string(),
                running: true,
                board: Board {
                    queued: 4,
                    held: 1,
                    running: 1,
                    done: 10,
                    errors: 2,
                    crashes: 1,
                    cancellations: 0,
                    connected: 1,
                },
                workers: vec![running, lost, launching],
            },
            View {
                name: "later".to_string(),
                running: false,
                board: Board::default(),
                workers: Vec::new(),
            },
        ];
        let text = write(1700000000.5, &views);
        assert!(
            !text.contains('\n') && !text.contains("</script>"),
            "{text}"
        );
        let value = parse(&text).unwrap();
        assert_eq!(value.get("time").number(), 1700000000.5);
        let controllers = value.get("controllers").items();
        assert_eq!(controllers.len(), 2);
        assert_eq!(controllers[0].get("name").text(), "a \"b\"");
        assert_eq!(controllers[0].get("running"), &Value::Bool(true));
        assert_eq!(controllers[1].get("running"), &Value::Bool(false));
        assert_eq!(controllers[0].get("board").get("queued").number(), 4.0);
        assert_eq!(controllers[0].get("board").get("crashes").number(), 1.0);
        let workers = controllers[0].get("workers").items();
        assert_eq!(workers[0].get("task").text(), odd);
        assert_eq!(workers[0].get("pid").number(), 1234.0);
        assert_eq!(workers[0].get("state").text(), "running");
        assert_eq!(workers[0].get("seconds_task").number(), 7.0);
        assert_eq!(workers[0].get("resident_mb").number(), 512.0);
        assert_eq!(workers[0].get("peak_resident_mb").number(), 600.0);
        assert_eq!(workers[0].get("cpu_percent"), &Value::Null);
        assert_eq!(workers[0].get("ended"), &Value::Null);
        assert_eq!(workers[1].get("task").text(), "t\u{0}\u{1f}");
        assert_eq!(workers[1].get("ended").text(), "missed heartbeats for 10 s");
        assert_eq!(workers[1].get("exit_status").number(), -9.0);
        assert_eq!(workers[2].get("pid"), &Value::Null);
        assert_eq!(workers[2].get("state").text(), "launching");
        for key in [
            "worker",
            "host",
            "seconds_launched",
            "tasks_done",
            "seconds_heartbeat",
        ] {
            workers[0].get(key);
        }
    }

    #[test]
    fn only_the_most_recent_ended_workers_are_carried() {
        let mut rows: Vec<WorkerRow> = (0..(ENDED_SHOWN as u32 + 5))
            .map(|pid| row(WorkerState::Exited, pid))
            .collect();
        rows.push(row(WorkerState::Idle, 100_000));
        let kept = recent(rows);
        assert_eq!(kept.len(), ENDED_SHOWN + 1);
        assert_eq!(kept[0].pid, Some(5));
        assert_eq!(kept[ENDED_SHOWN].state, WorkerState::Idle);
    }

    #[test]
    fn a_profile_never_started_shows_as_not_running() {
        let view = view("nothing", "crew-dashboard-test-no-such-profile");
        assert!(!view.running);
        assert!(view.workers.is_empty());
        assert_eq!(view.board, Board::default());
    }
}
