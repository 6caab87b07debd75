//! Resource metrics of the own process. A thread samples CPU use, resident
//! and virtual memory with sysinfo at a fixed interval and appends one line
//! per sample, with the name of the task running at that moment, in the
//! format of the `autometric` package that crew users read their worker
//! logs with:
//!
//! `__AUTOMETRIC__|version|pid|name|status|time|core|cpu|resident|virtual|phase|__AUTOMETRIC__`
//!
//! Lines are bounded by the keyword, so they can share a stream with other
//! output (a worker's standard output, say).

use crate::{Error, Result};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

/// The keyword that bounds every line.
pub const KEYWORD: &str = "__AUTOMETRIC__";

/// The phase of a sample taken while no task runs.
pub const NO_PHASE: &str = "__DEFAULT__";

/// What every line of one process's log carries besides the sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// The version of the format's writer.
    pub version: String,
    /// The name of the process (for a worker, "worker").
    pub name: String,
}

/// Where samples go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sink {
    Stdout,
    Stderr,
    /// A file of this process's own.
    File(PathBuf),
}

impl Sink {
    /// `/dev/stdout` and `/dev/stderr` mean the process's own streams; any
    /// other path is a directory (created if missing) that receives a new
    /// file `crew_log_<random>.log` for this process.
    pub fn from_path(path: &str) -> Result<Sink> {
        match path {
            "" => Err(Error::InvalidArgument("the metrics path is empty".into())),
            "/dev/stdout" => Ok(Sink::Stdout),
            "/dev/stderr" => Ok(Sink::Stderr),
            directory => {
                std::fs::create_dir_all(directory)?;
                let name = format!("crew_log_{}.log", crate::secure_random::hex(8));
                Ok(Sink::File(Path::new(directory).join(name)))
            }
        }
    }

    /// Opens the sink for appending.
    fn open(&self) -> Result<Box<dyn Write + Send>> {
        Ok(match self {
            Sink::Stdout => Box::new(std::io::stdout()),
            Sink::Stderr => Box::new(std::io::stderr()),
            Sink::File(path) => Box::new(OpenOptions::new().create(true).append(true).open(path)?),
        })
    }
}

/// The name of the running task, written by the evaluating thread around
/// every task and read by the sampler. Setting a name copies it into a
/// buffer that keeps its capacity; clearing is one atomic store.
#[derive(Default)]
struct TaskName {
    running: AtomicBool,
    name: Mutex<String>,
}

impl TaskName {
    fn name(&self) -> MutexGuard<'_, String> {
        self.name.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn current(&self) -> Option<String> {
        if !self.running.load(Ordering::Acquire) {
            return None;
        }
        let name = self.name().clone();
        // The task may have ended while the name was read.
        self.running.load(Ordering::Acquire).then_some(name)
    }
}

/// One sample of the own process.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Seconds since the Unix epoch.
    pub time: f64,
    pub pid: u32,
    /// Percent of one CPU core since the previous sample.
    pub core_percent: f32,
    /// Percent of all the machine's cores.
    pub cpu_percent: f32,
    pub resident_bytes: u64,
    pub virtual_bytes: u64,
    pub task: Option<String>,
}

impl Sample {
    /// The sample as one line (without the newline). The phase is the
    /// running task's name, with the field separator and line breaks
    /// replaced, or `__DEFAULT__`; the status is 0 (a good sample).
    pub fn line(&self, label: &Label) -> String {
        let phase = match &self.task {
            Some(name) => name.replace(['|', '\n', '\r'], "_"),
            None => NO_PHASE.to_string(),
        };
        format!(
            "{KEYWORD}|{}|{}|{}|0|{:.3}|{:.3}|{:.3}|{}|{}|{}|{KEYWORD}",
            label.version,
            self.pid,
            label.name,
            self.time,
            self.core_percent,
            self.cpu_percent,
            self.resident_bytes,
            self.virtual_bytes,
            phase
        )
    }
}

/// Reads the own process's resource use (workers send it in their pulses). CPU use is the CPU time spent
/// between two samples over the wall time between them: sysinfo's own
/// percentage skips its system-wide refresh when samples are less than
/// 200 ms apart, which would skew short intervals.
pub struct Probe {
    system: System,
    pid: Pid,
    last: Option<(Instant, u64)>,
}

impl Default for Probe {
    fn default() -> Probe {
        Probe::new()
    }
}

impl Probe {
    pub fn new() -> Probe {
        let mut probe = Probe {
            system: System::new(),
            pid: Pid::from_u32(std::process::id()),
            last: None,
        };
        probe.sample(None);
        probe
    }

    /// A sample now, or `None` if the process table could not be read.
    pub fn sample(&mut self, task: Option<String>) -> Option<Sample> {
        self.system.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[self.pid]),
            false,
            ProcessRefreshKind::nothing()
                .without_tasks()
                .with_cpu()
                .with_memory(),
        );
        let process = self.system.process(self.pid)?;
        let now = Instant::now();
        let cpu_millis = process.accumulated_cpu_time();
        let core_percent = match self.last.replace((now, cpu_millis)) {
            Some((then, before)) if now > then => {
                let wall = now.duration_since(then).as_secs_f64() * 1000.0;
                (cpu_millis.saturating_sub(before) as f64 / wall * 100.0) as f32
            }
            _ => 0.0,
        };
        let time = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f32;
        Some(Sample {
            time,
            pid: self.pid.as_u32(),
            core_percent,
            cpu_percent: core_percent / cores,
            resident_bytes: process.memory(),
            virtual_bytes: process.virtual_memory(),
            task,
        })
    }
}

#[derive(Default)]
struct Stop {
    stopped: Mutex<bool>,
    wake: Condvar,
}

impl Stop {
    /// Sleeps until `deadline` or a stop; true if stopped.
    fn wait_until(&self, deadline: Instant) -> bool {
        let mut stopped = self.stopped.lock().unwrap_or_else(|e| e.into_inner());
        while !*stopped {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            stopped = self
                .wake
                .wait_timeout(stopped, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }

    fn stop(&self) {
        *self.stopped.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.wake.notify_all();
    }
}

/// A running sampler of the own process. Dropping it stops it.
pub struct Metrics {
    task: Arc<TaskName>,
    stop: Arc<Stop>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Metrics {
    /// Opens the sink and starts sampling every `interval`. A last sample
    /// is written when the sampler stops, so even a process that lives
    /// shorter than one interval leaves a line.
    pub fn start(sink: Sink, interval: Duration, label: Label) -> Result<Metrics> {
        if interval.is_zero() {
            return Err(Error::InvalidArgument(
                "the metrics interval must be positive".into(),
            ));
        }
        let mut out = sink.open()?;
        let task = Arc::new(TaskName::default());
        let stop = Arc::new(Stop::default());
        let thread = {
            let task = task.clone();
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("crew-metrics".into())
                .spawn(move || {
                    let mut probe = Probe::new();
                    let mut next = crate::duration::deadline_in(interval);
                    loop {
                        let stopped = stop.wait_until(next);
                        next = crate::duration::deadline(next, interval);
                        if let Some(sample) = probe.sample(task.current()) {
                            // A full disk or a closed stream must not
                            // disturb the worker; the sample is dropped.
                            let _ =
                                writeln!(out, "{}", sample.line(&label)).and_then(|_| out.flush());
                        }
                        if stopped {
                            return;
                        }
                    }
                })?
        };
        Ok(Metrics {
            task,
            stop,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Records that the task `name` is running.
    pub fn task_started(&self, name: &str) {
        let mut current = self.task.name();
        current.clear();
        current.push_str(name);
        self.task.running.store(true, Ordering::Release);
    }

    /// Records that no task is running.
    pub fn task_finished(&self) {
        self.task.running.store(false, Ordering::Release);
    }

    /// Writes a last sample and stops the thread; later calls do nothing.
    pub fn stop(&self) {
        self.stop.stop();
        let thread = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}

impl Drop for Metrics {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch() -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("crew-metrics-{}", crate::secure_random::hex(6)));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn sink_paths() {
        assert_eq!(Sink::from_path("/dev/stdout").unwrap(), Sink::Stdout);
        assert_eq!(Sink::from_path("/dev/stderr").unwrap(), Sink::Stderr);
        assert!(Sink::from_path("").is_err());
        let dir = scratch().join("nested").join("more");
        let Sink::File(path) = Sink::from_path(dir.to_str().unwrap()).unwrap() else {
            panic!("a directory gives a file sink");
        };
        assert!(dir.is_dir());
        assert_eq!(path.parent(), Some(dir.as_path()));
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("crew_log_") && name.ends_with(".log"));
        let blocked = scratch().join("file");
        std::fs::write(&blocked, "").unwrap();
        assert!(Sink::from_path(blocked.join("below").to_str().unwrap()).is_err());
    }

    fn label() -> Label {
        Label {
            version: "2.0.0".into(),
            name: "worker".into(),
        }
    }

    #[test]
    fn lines_follow_the_autometric_format() {
        let mut sample = Sample {
            time: 1.5,
            pid: 7,
            core_percent: 12.3456,
            cpu_percent: 6.1728,
            resident_bytes: 1024,
            virtual_bytes: 4096,
            task: None,
        };
        assert_eq!(
            sample.line(&label()),
            "__AUTOMETRIC__|2.0.0|7|worker|0|1.500|12.346|6.173|1024|4096|__DEFAULT__|__AUTOMETRIC__"
        );
        sample.task = Some("a|b\nc".into());
        assert!(sample.line(&label()).ends_with("|a_b_c|__AUTOMETRIC__"));
    }

    #[test]
    fn samples_follow_the_interval_and_the_task() {
        let dir = scratch();
        let sink = Sink::from_path(dir.to_str().unwrap()).unwrap();
        let Sink::File(path) = sink.clone() else {
            panic!()
        };
        let metrics = Metrics::start(sink, Duration::from_millis(100), label()).unwrap();
        metrics.task_started("busy_task");
        let start = Instant::now();
        let mut spin = 0u64;
        while start.elapsed() < Duration::from_millis(450) {
            spin = spin.wrapping_add(1);
        }
        metrics.task_finished();
        std::thread::sleep(Duration::from_millis(250));
        metrics.stop();
        metrics.stop();
        assert!(spin > 0);
        let text = std::fs::read_to_string(&path).unwrap();
        let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('|').collect()).collect();
        // About seven intervals plus the last sample at stop.
        assert!((5..=10).contains(&rows.len()), "{} rows", rows.len());
        let pid = std::process::id().to_string();
        for row in &rows {
            assert_eq!(row.len(), 12);
            assert_eq!((row[0], row[11]), (KEYWORD, KEYWORD));
            assert_eq!(
                (row[1], row[2], row[3], row[4]),
                ("2.0.0", pid.as_str(), "worker", "0")
            );
            assert!(row[8].parse::<u64>().unwrap() > 0);
            // On Unix virtual memory includes what is resident. On Windows
            // sysinfo reports committed private bytes as virtual, which can
            // be less than the working set, and Wine reports none at all.
            if cfg!(unix) {
                assert!(row[9].parse::<u64>().unwrap() >= row[8].parse::<u64>().unwrap());
            }
        }
        let busy: Vec<&Vec<&str>> = rows.iter().filter(|r| r[10] == "busy_task").collect();
        assert!(busy.len() >= 3);
        // The busy loop shows as CPU use once a previous sample exists.
        assert!(busy[1..]
            .iter()
            .any(|r| r[6].parse::<f64>().unwrap() > 20.0));
        assert_eq!(rows.last().unwrap()[10], NO_PHASE);
        let times: Vec<f64> = rows.iter().map(|r| r[5].parse().unwrap()).collect();
        assert!(times.windows(2).all(|w| w[1] >= w[0]));
    }

    #[test]
    fn an_existing_file_is_appended_to() {
        let path = scratch().join("log.txt");
        for _ in 0..2 {
            let metrics =
                Metrics::start(Sink::File(path.clone()), Duration::from_secs(60), label()).unwrap();
            metrics.stop();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(Metrics::start(Sink::File(path), Duration::ZERO, label()).is_err());
    }
}
