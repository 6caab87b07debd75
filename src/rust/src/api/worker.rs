//! The worker loop's native side: connect, receive tasks, send results.
//! `native_worker_next` and `native_worker_send` run once per task, so they
//! are raw `.Call` entry points (see `r/sexp.rs`).

use crate::r::convert::{core_error, duration, invalid_argument, wait_in_slices, Waited};
use crate::r::ffi::{
    Rf_ScalarInteger, Rf_allocVector, INTEGER, REAL, SET_VECTOR_ELT, SEXP, SEXPTYPE, VECTOR_ELT,
};
use crate::r::idle_collection;
use crate::r::records;
use crate::r::sexp::{self, Protect};
use crate::serial::hooks::{self as serial_hooks, Hooks};
use crate::serial::{self, Serialized};
use crew_core::dispatcher::Timing;
use crew_core::protocol::{Credential, ResultExtras, ResultMeta, Seed};
use crew_core::runtime;
use crew_core::tls;
use crew_core::worker::{
    address_from_url, follow_parent, Event, Payload, WorkerClient, WorkerConfig,
};
use extendr_api::prelude::*;
use std::rc::Rc;
use std::time::Duration;

use crate::r::ffi::{Rf_ScalarLogical, Rf_ScalarReal, Rf_getAttrib};
use crate::r::interrupts::{evaluator_interrupt, forget_stale_interrupt};

/// Values that serialize to more than this are written to the connection
/// in pieces as they are serialized, not copied into one buffer first.
const WHOLE_RESULT_MAX: usize = 4 << 20;

/// An R handle on a worker session.
pub struct WorkerHandle(WorkerClient);

thread_local! {
    static WORKER_TAG: SEXP = sexp::symbol(c"crew_worker_session");
    static TASK_NAMES: SEXP = sexp::preserved_strings(&["type", "id", "name", "task"]);
    static READY_NAMES: SEXP = sexp::preserved_strings(&["type", "stream"]);
    static EXIT_NAMES: SEXP = sexp::preserved_strings(&["type", "code", "reason"]);
}

fn worker(x: &SEXP) -> Option<&WorkerClient> {
    let tag = WORKER_TAG.with(|t| *t);
    sexp::external_ref::<WorkerHandle>(x, tag).map(|w| &w.0)
}

/// Connects to the dispatcher at `url` with the launch `credential`. Limits
/// are seconds (idle, wall) or counts (max_tasks); Inf means none. With
/// `parent_pid` > 0 the worker also dies with that parent process.
#[extendr]
#[allow(clippy::too_many_arguments)]
fn native_worker_start(
    url: &str,
    credential: &str,
    connect_timeout: f64,
    idle: f64,
    wall: f64,
    max_tasks: f64,
    timers_after: f64,
    exit_signal: i32,
    parent_pid: i32,
    tls_trusted: &str,
    tls_certificates: &str,
    tls_key: &str,
    tls_password: &str,
) -> Robj {
    if let Err(error) = runtime::check_not_forked() {
        return core_error(error);
    }
    let address = match address_from_url(url) {
        Ok(address) => address,
        Err(error) => return core_error(error),
    };
    let Some(credential) = Credential::parse(credential) else {
        return invalid_argument("the worker credential is malformed");
    };
    let tls = match worker_tls(
        url,
        &address,
        tls_trusted,
        tls_certificates,
        tls_key,
        tls_password,
    ) {
        Ok(tls) => tls,
        Err(error) => return core_error(error),
    };
    if parent_pid > 0 && !follow_parent(parent_pid as u32, exit_signal.max(1)) {
        return invalid_argument("the process that launched this worker has already exited");
    }
    let config = WorkerConfig {
        address,
        credential,
        connect_timeout: duration(connect_timeout).unwrap_or(Duration::from_secs(60)),
        idle: duration(idle),
        wall: duration(wall),
        max_tasks: (max_tasks.is_finite() && max_tasks >= 0.0).then_some(max_tasks as u64),
        timers_after: if timers_after.is_finite() && timers_after > 0.0 {
            timers_after as u64
        } else {
            0
        },
        // Until the dispatcher's welcome names its own.
        heartbeat_interval: Timing::default().heartbeat_interval,
        heartbeat_timeout: Timing::default().heartbeat_timeout,
        exit_signal: (exit_signal > 0).then_some(exit_signal),
        interrupt: Some(evaluator_interrupt()),
        tls,
    };
    match WorkerClient::start(config) {
        Ok(client) => {
            let tag = WORKER_TAG.with(|t| *t);
            // SAFETY: the pointer was just made; extendr protects it from here
            // on.
            unsafe { Robj::from_sexp(sexp::external(WorkerHandle(client), tag, true)) }
        }
        Err(error) => core_error(error),
    }
}

/// The worker's TLS settings for a `tls+tcp://` URL: trust `trusted` and,
/// if given, present a certificate chain and key of its own.
fn worker_tls(
    url: &str,
    address: &str,
    trusted: &str,
    certificates: &str,
    key: &str,
    password: &str,
) -> crew_core::Result<Option<tls::WorkerTls>> {
    if !url.starts_with("tls+tcp://") {
        return Ok(None);
    }
    if trusted.trim().is_empty() {
        return Err(crew_core::Error::InvalidArgument(
            "a tls+tcp:// URL needs the controller's TLS certificate".into(),
        ));
    }
    let identity = if certificates.is_empty() {
        None
    } else {
        Some(tls::Identity::worker(
            certificates,
            key,
            crate::r::convert::password(password),
        )?)
    };
    let host = address.rsplit_once(':').map_or(address, |(host, _)| host);
    tls::worker(trusted, host, identity.as_ref()).map(Some)
}

fn named_list(names: SEXP, values: &[SEXP]) -> SEXP {
    let mut protect = Protect::new();
    // SAFETY: allocates on R's main thread; the result is protected or returned
    // before anything else allocates.
    let out = protect.keep(unsafe { Rf_allocVector(SEXPTYPE::VECSXP, values.len() as isize) });
    for (i, value) in values.iter().enumerate() {
        // SAFETY: `out` is a protected list as long as `values`, whose elements
        // the caller protects.
        unsafe { SET_VECTOR_ELT(out, i as isize, *value) };
    }
    sexp::set_names(out, names);
    out
}

thread_local! {
    /// The serialization hooks of this process's worker session, from the
    /// settings its dispatcher sent in the welcome.
    static SESSION_HOOKS: std::cell::RefCell<Option<Rc<Hooks>>> =
        const { std::cell::RefCell::new(None) };
}

fn session_hooks() -> Option<Rc<Hooks>> {
    SESSION_HOOKS.with(|h| h.borrow().clone())
}

/// Reads the controller's serialization settings sent in the welcome.
fn set_session_hooks(setup: &[u8]) -> Result<(), String> {
    let hooks = if setup.is_empty() {
        None
    } else {
        let unreadable = |e: String| {
            format!("the controller's serialization settings could not be read here: {e}")
        };
        serial_hooks::use_hooks(None);
        let mut protect = Protect::new();
        let config = protect.keep(serial::unserialize_sexp(setup).map_err(unreadable)?);
        Hooks::from_config(config).map_err(unreadable)?
    };
    SESSION_HOOKS.with(|h| *h.borrow_mut() = hooks.clone());
    serial_hooks::use_hooks(hooks);
    Ok(())
}

fn event_list(event: Event) -> SEXP {
    let mut protect = Protect::new();
    match event {
        Event::Task {
            id,
            name,
            payload,
            part,
        } => {
            idle_collection::moved(payload.len());
            let task = match (&payload, part) {
                (Payload::Whole(bytes), None) => serial::unserialize_sexp(bytes),
                (Payload::Whole(bytes), Some((part, shared))) => {
                    crate::tasks::walk_items::join(part, &shared, bytes)
                }
                (Payload::Arriving(incoming), _) => serial::unserialize_arriving(incoming),
            };
            let task = match task {
                Ok(task) => protect.keep(task),
                Err(error) => {
                    protect.keep(sexp::string(&format!("could not read the task: {error}")))
                }
            };
            payload.discard();
            let values = [
                protect.keep(sexp::string("task")),
                // SAFETY: allocates on R's main thread; the result is protected
                // or returned before anything else allocates.
                protect.keep(unsafe { Rf_ScalarReal(id as f64) }),
                protect.keep(sexp::string(&name)),
                task,
            ];
            named_list(TASK_NAMES.with(|n| *n), &values)
        }
        Event::Ready { stream, setup } => {
            if let Err(error) = set_session_hooks(&setup) {
                return records::error_record("protocol", &error);
            }
            // SAFETY: allocates on R's main thread; the result is protected or
            // returned before anything else allocates.
            let seed = protect.keep(unsafe { Rf_allocVector(SEXPTYPE::INTSXP, 7) });
            for (i, x) in stream.iter().enumerate() {
                // SAFETY: `seed` is an integer vector of 7 elements, as many as
                // `stream` has.
                unsafe { *INTEGER(seed).add(i) = *x };
            }
            let values = [protect.keep(sexp::string("ready")), seed];
            named_list(READY_NAMES.with(|n| *n), &values)
        }
        Event::Exit(reason) => {
            let values = [
                protect.keep(sexp::string("exit")),
                // SAFETY: allocates on R's main thread; the result is protected
                // or returned before anything else allocates.
                protect.keep(unsafe { Rf_ScalarInteger(reason.code()) }),
                protect.keep(sexp::string(reason.describe())),
            ];
            named_list(EXIT_NAMES.with(|n| *n), &values)
        }
    }
}

/// Waits up to `seconds` for the next event and returns it unserialized:
/// `list(type = "task", id, name, task)`, `list(type = "ready", stream)`,
/// `list(type = "exit", code, reason)`, or NULL on timeout. Cost when a
/// task is waiting: one lock and R's unserialize of the task.
#[no_mangle]
pub extern "C" fn wrap__native_worker_next(session: SEXP, seconds: SEXP) -> SEXP {
    records::with_guard(|| {
        // A task may have run a controller of its own, with other hooks.
        serial_hooks::use_hooks(session_hooks());
        let Some(client) = worker(&session) else {
            return records::invalid_argument("worker must be a worker session of this package");
        };
        let wait = if sexp::type_of(seconds) == SEXPTYPE::REALSXP && sexp::len(seconds) == 1 {
            // SAFETY: `seconds` is a double vector of length one (checked
            // above).
            duration(unsafe { *REAL(seconds) })
        } else {
            None
        };
        if idle_collection::due() {
            if let Some(event) = client.next_event(Duration::ZERO, forget_stale_interrupt) {
                return event_list(event);
            }
            idle_collection::collect();
        }
        match wait_in_slices(wait, Duration::from_secs(1), |slice| {
            client.next_event(slice, forget_stale_interrupt)
        }) {
            Waited::Done(event) => event_list(event),
            Waited::TimedOut => sexp::nil(),
            Waited::Interrupted => records::interrupt_record(),
        }
    })
}

fn text_field<T: for<'a> From<&'a str>>(x: SEXP) -> Option<T> {
    if sexp::type_of(x) == SEXPTYPE::STRSXP && sexp::len(x) >= 1 {
        sexp::string_elt(&x, 0).map(T::from)
    } else {
        None
    }
}

fn int_field(x: SEXP) -> Option<i32> {
    let value = match sexp::type_of(x) {
        // SAFETY: `x` is an integer or logical vector with an element (checked
        // by the guard).
        SEXPTYPE::INTSXP | SEXPTYPE::LGLSXP if sexp::len(x) >= 1 => unsafe { *INTEGER(x) },
        SEXPTYPE::REALSXP if sexp::len(x) >= 1 => {
            // SAFETY: `x` is a double vector with an element (checked by the
            // guard).
            let v = unsafe { *REAL(x) };
            if v.is_nan() {
                return None;
            }
            v as i32
        }
        _ => return None,
    };
    (value != sexp::na_int()).then_some(value)
}

fn real_field(x: SEXP) -> Option<f64> {
    match sexp::type_of(x) {
        // SAFETY: `x` is a double vector with an element (checked by the
        // guard).
        SEXPTYPE::REALSXP if sexp::len(x) >= 1 => Some(unsafe { *REAL(x) }).filter(|v| !v.is_nan()),
        SEXPTYPE::INTSXP if sexp::len(x) >= 1 => int_field(x).map(f64::from),
        _ => None,
    }
}

/// A task's seed as the worker loop recorded it, keeping R's integer and
/// double distinction.
fn seed_field(x: SEXP) -> Seed {
    match sexp::type_of(x) {
        SEXPTYPE::INTSXP | SEXPTYPE::LGLSXP => int_field(x).map_or(Seed::Missing, Seed::Integer),
        SEXPTYPE::REALSXP => real_field(x).map_or(Seed::Missing, Seed::Double),
        _ => Seed::Missing,
    }
}

/// Sends a task's result. `record` is the list of result fields made by the
/// R worker loop (its `value` is ignored); `value` is the task's value,
/// serialized here. TRUE if sent, FALSE if the connection is gone.
#[no_mangle]
pub extern "C" fn wrap__native_worker_send(
    session: SEXP,
    id: SEXP,
    record: SEXP,
    value: SEXP,
) -> SEXP {
    records::with_guard(|| {
        serial_hooks::use_hooks(session_hooks());
        let Some(client) = worker(&session) else {
            return records::invalid_argument("worker must be a worker session of this package");
        };
        let Some(id) = real_field(id).filter(|id| *id >= 0.0) else {
            return records::invalid_argument("id must be a task id");
        };
        let mut meta = ResultMeta {
            status: "error".into(),
            code: -1,
            command: None,
            extras: None,
            seconds: None,
            controller: None,
        };
        let (mut error, mut trace, mut warnings) = (None, None, None);
        let (mut seed, mut algorithm) = (Seed::Missing, None);
        if sexp::type_of(record) == SEXPTYPE::VECSXP {
            // SAFETY: `record` is a list argument of this call; reading its
            // names allocates nothing.
            let names = unsafe { Rf_getAttrib(record, sexp::names_symbol()) };
            let n = if sexp::type_of(names) == SEXPTYPE::STRSXP {
                sexp::len(names).min(sexp::len(record))
            } else {
                0
            };
            for i in 0..n {
                // SAFETY: `i` is below the length of `record` (`n` is at most
                // that).
                let field = unsafe { VECTOR_ELT(record, i as isize) };
                match sexp::string_elt(&names, i) {
                    Some("status") => {
                        meta.status = text_field(field).unwrap_or_else(|| "error".into())
                    }
                    Some("code") => meta.code = int_field(field).unwrap_or(-1),
                    Some("command") => meta.command = text_field(field),
                    Some("error") => error = text_field(field),
                    Some("trace") => trace = text_field(field),
                    Some("warnings") => warnings = text_field(field),
                    Some("seconds") => meta.seconds = real_field(field),
                    Some("seed") => seed = seed_field(field),
                    Some("algorithm") => algorithm = text_field(field),
                    Some("controller") => meta.controller = text_field(field),
                    _ => {}
                }
            }
        }
        meta.extras = ResultExtras::boxed(error, trace, warnings, seed, algorithm);
        // The worker loop leaves the controller's name to this call: the
        // environment variable is read here rather than by R's Sys.getenv().
        if meta.controller.is_none() {
            meta.controller = std::env::var("CREW_CONTROLLER").ok().map(Into::into);
        }
        let sent = match serial::serialize_up_to(value, WHOLE_RESULT_MAX) {
            Ok(Serialized::Bytes(payload)) => {
                idle_collection::moved(payload.len());
                client.send_result(id as u64, meta, payload)
            }
            Ok(Serialized::Large(len)) => {
                idle_collection::moved(len);
                client.send_result_produced(id as u64, meta, len, |put| {
                    serial::serialize_natively_to(value, put)
                })
            }
            Err(error) => {
                meta.status = "error".into();
                meta.code = -1;
                meta.set_error(format!("the task's value could not be sent: {error}").into());
                // SAFETY: R's shared logical NA: nothing is allocated.
                let payload = serial::serialize_sexp(unsafe { Rf_ScalarLogical(sexp::na_int()) })
                    .unwrap_or_default();
                client.send_result(id as u64, meta, payload)
            }
        };
        // SAFETY: R's shared TRUE or FALSE: nothing is allocated.
        unsafe { Rf_ScalarLogical(sent as i32) }
    })
}

extendr_module! {
    mod api_worker;
    fn native_worker_start;
}
