//! The exported `calogen_*` functions. Every one checks its pointers, runs its work inside
//! `catch_unwind` (a panic must not unwind into C or C++ frames: that is undefined behaviour) and
//! answers with a [`CalogenStatus`]; the message of the last failure is kept per generator.
//!
//! Threads: a generator is used by one host thread at a time (one per thread, as Geant4's worker
//! threads each own their fast-simulation models); generators on different threads share nothing
//! mutable. Shower k of a call draws from `nn::shower_rng(seed, index)` on the calling thread, so
//! the same seed and index give the same shower on any thread and in any batch.

use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use calogen_models::{Incident, Registry};

use crate::generator::Generator;
use crate::types::{CalogenHit, CalogenHitMode, CalogenHits, CalogenIncident, CalogenStatus};

use CalogenStatus::*;

/// An opaque generator: a model family, its geometry, a queue of incidents and the last result.
pub struct CalogenGenerator {
    inner: Generator,
    last_error: CString,
}

/// A failure inside an entry point: its status and message.
struct Failure(CalogenStatus, String);

impl Failure {
    fn invalid(msg: impl Into<String>) -> Self {
        Failure(CalogenErrInvalid, msg.into())
    }
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    let what = p
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into());
    format!("internal error (panic caught at the C boundary): {what}")
}

/// Text without interior NUL bytes (a CString cannot hold them).
fn c_text(s: String) -> CString {
    CString::new(s.replace('\0', " ")).expect("NULs replaced")
}

/// Runs `f` on the generator behind `g`, catching panics; records the message of a failure.
fn with_generator(
    g: *mut CalogenGenerator,
    f: impl FnOnce(&mut Generator) -> Result<(), Failure>,
) -> CalogenStatus {
    // SAFETY: the host passes a pointer from `calogen_generator_new`, not freed, used by one
    // thread at a time (the documented contract); NULL is checked.
    let Some(g) = (unsafe { g.as_mut() }) else {
        return CalogenErrNull;
    };
    let res = catch_unwind(AssertUnwindSafe(|| f(&mut g.inner)));
    let failure = match res {
        Ok(Ok(())) => return CalogenOk,
        Ok(Err(f)) => f,
        Err(p) => {
            // The result may be half-built: drop it, keep the generator.
            let _ = catch_unwind(AssertUnwindSafe(|| g.inner.take_hits()));
            Failure(CalogenErrPanic, panic_message(p))
        }
    };
    g.last_error = c_text(failure.1);
    failure.0
}

/// `s` as UTF-8, NULL as `None`.
///
/// # Safety
/// `s` is NULL or a NUL-terminated string.
unsafe fn opt_str<'a>(s: *const c_char, what: &str) -> Result<Option<&'a str>, Failure> {
    if s.is_null() {
        return Ok(None);
    }
    CStr::from_ptr(s)
        .to_str()
        .map(Some)
        .map_err(|_| Failure::invalid(format!("{what} is not UTF-8")))
}

/// Checks an incident from the host: a positive finite energy, a unit direction pointing into the
/// calorimeter (z > 0), a finite entry point.
fn incident(i: &CalogenIncident) -> Result<Incident, Failure> {
    if !(i.energy_mev.is_finite() && i.energy_mev > 0.0) {
        return Err(Failure::invalid(format!(
            "incident energy {} MeV: must be positive and finite",
            i.energy_mev
        )));
    }
    let d = i.direction;
    let norm = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
    if !(norm.is_finite() && (norm - 1.0).abs() < 1e-3 && d[2] > 0.0) {
        return Err(Failure::invalid(format!(
            "incident direction {d:?}: must be a unit vector with z > 0 (into the calorimeter)"
        )));
    }
    let entry = if i.has_entry != 0 {
        if !i.entry_mm.iter().all(|v| v.is_finite()) {
            return Err(Failure::invalid(format!(
                "entry point {:?} mm: must be finite",
                i.entry_mm
            )));
        }
        Some(i.entry_mm)
    } else {
        None
    };
    Ok(Incident {
        energy_mev: i.energy_mev,
        direction: d,
        entry_mm: entry,
    })
}

fn model_error(e: String) -> Failure {
    Failure(CalogenErrModel, e)
}

/// The library's version, a static NUL-terminated string.
#[no_mangle]
pub extern "C" fn calogen_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr() as *const c_char
}

/// Creates a generator. `model`: a family name (`caloclouds2`, `caloclouds3`) or a model folder;
/// NULL for the default family. `geometry`: a built-in geometry name (`ild-ecal`, ...) or a TOML
/// path; NULL for the family's own. On failure `*out` is NULL and the message goes to `err`
/// (`err_len` bytes, NUL-terminated, truncated; `err` may be NULL).
///
/// # Safety
/// `model`, `geometry`: NULL or NUL-terminated; `out` valid for one pointer; `err` NULL or valid
/// for `err_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn calogen_generator_new(
    model: *const c_char,
    geometry: *const c_char,
    mode: CalogenHitMode,
    out: *mut *mut CalogenGenerator,
    err: *mut c_char,
    err_len: usize,
) -> CalogenStatus {
    let write_err = |msg: &str| {
        if !err.is_null() && err_len > 0 {
            let n = msg.len().min(err_len - 1);
            std::ptr::copy_nonoverlapping(msg.as_ptr(), err as *mut u8, n);
            *err.add(n) = 0;
        }
    };
    if out.is_null() {
        write_err("out is NULL");
        return CalogenErrNull;
    }
    *out = std::ptr::null_mut();
    let res = catch_unwind(AssertUnwindSafe(|| -> Result<Generator, Failure> {
        let model = opt_str(model, "model")?;
        let geometry = opt_str(geometry, "geometry")?;
        Generator::new(&Registry::builtin(), model, geometry, mode).map_err(Failure::invalid)
    }));
    match res {
        Ok(Ok(inner)) => {
            *out = Box::into_raw(Box::new(CalogenGenerator {
                inner,
                last_error: CString::default(),
            }));
            CalogenOk
        }
        Ok(Err(Failure(status, msg))) => {
            write_err(&msg);
            status
        }
        Err(p) => {
            write_err(&panic_message(p));
            CalogenErrPanic
        }
    }
}

/// Frees a generator (NULL is ignored).
///
/// # Safety
/// `g` is NULL or from `calogen_generator_new`, not yet freed.
#[no_mangle]
pub unsafe extern "C" fn calogen_generator_free(g: *mut CalogenGenerator) {
    if !g.is_null() {
        let _ = catch_unwind(AssertUnwindSafe(|| drop(Box::from_raw(g))));
    }
}

/// The message of the generator's last failure ("" if none): valid until the next call on `g`.
///
/// # Safety
/// `g` is NULL or a live generator.
#[no_mangle]
pub unsafe extern "C" fn calogen_last_error(g: *const CalogenGenerator) -> *const c_char {
    match g.as_ref() {
        Some(g) => g.last_error.as_ptr(),
        None => c"generator is NULL".as_ptr(),
    }
}

/// The family's registry name (`caloclouds3`), valid as long as `g`.
///
/// # Safety
/// `g` is a live generator.
#[no_mangle]
pub unsafe extern "C" fn calogen_generator_family(
    g: *mut CalogenGenerator,
    name: *mut c_char,
    len: usize,
) -> CalogenStatus {
    with_generator(g, |gen| {
        if name.is_null() {
            return Err(Failure(CalogenErrNull, "name is NULL".into()));
        }
        let s = gen.family_name();
        if len < s.len() + 1 {
            return Err(Failure(
                CalogenErrBufferTooSmall,
                format!("name needs {} bytes, {len} given", s.len() + 1),
            ));
        }
        std::ptr::copy_nonoverlapping(s.as_ptr(), name as *mut u8, s.len());
        *name.add(s.len()) = 0;
        Ok(())
    })
}

/// Allows (non-zero) or refuses (0, the default) incidents outside the family's trained energy
/// and angle range, as `calogen generate --allow-extrapolation`.
///
/// # Safety
/// `g` a live generator.
#[no_mangle]
pub unsafe extern "C" fn calogen_allow_extrapolation(
    g: *mut CalogenGenerator,
    allow: i32,
) -> CalogenStatus {
    with_generator(g, |gen| {
        gen.allow_extrapolation = allow != 0;
        Ok(())
    })
}

/// Generates one shower: stream `index` of `seed` (shower `index` of `calogen generate --seed`).
/// The hits stay in the generator until read (`calogen_result_size`, `calogen_copy_hits`,
/// `calogen_take_hits`) or replaced by the next call.
///
/// # Safety
/// `g` a live generator, `incident` NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn calogen_generate(
    g: *mut CalogenGenerator,
    incident: *const CalogenIncident,
    seed: u64,
    index: u64,
) -> CalogenStatus {
    with_generator(g, |gen| {
        let i = incident
            .as_ref()
            .ok_or_else(|| Failure(CalogenErrNull, "incident is NULL".into()))?;
        let inc = self::incident(i)?;
        gen.generate(&[inc], seed, index).map_err(model_error)
    })
}

/// Generates `n` showers in one model call: shower k from stream `first_index + k` of `seed`.
///
/// # Safety
/// `g` a live generator, `incidents` valid for `n` incidents.
#[no_mangle]
pub unsafe extern "C" fn calogen_generate_batch(
    g: *mut CalogenGenerator,
    incidents: *const CalogenIncident,
    n: usize,
    seed: u64,
    first_index: u64,
) -> CalogenStatus {
    with_generator(g, |gen| {
        if incidents.is_null() {
            return Err(Failure(CalogenErrNull, "incidents is NULL".into()));
        }
        if n == 0 {
            return Err(Failure::invalid("n is 0: no incidents"));
        }
        let list = std::slice::from_raw_parts(incidents, n)
            .iter()
            .map(incident)
            .collect::<Result<Vec<_>, _>>()?;
        gen.generate(&list, seed, first_index).map_err(model_error)
    })
}

/// Queues one incident for the next `calogen_flush` (a fast-simulation trigger collects the
/// particles entering the calorimeter, then asks for all their showers at once).
///
/// # Safety
/// `g` a live generator, `incident` NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn calogen_queue(
    g: *mut CalogenGenerator,
    incident: *const CalogenIncident,
) -> CalogenStatus {
    with_generator(g, |gen| {
        let i = incident
            .as_ref()
            .ok_or_else(|| Failure(CalogenErrNull, "incident is NULL".into()))?;
        gen.queue(self::incident(i)?);
        Ok(())
    })
}

/// The number of queued incidents.
///
/// # Safety
/// `g` a live generator, `n` valid.
#[no_mangle]
pub unsafe extern "C" fn calogen_queued(g: *mut CalogenGenerator, n: *mut usize) -> CalogenStatus {
    with_generator(g, |gen| {
        let n = n
            .as_mut()
            .ok_or_else(|| Failure(CalogenErrNull, "n is NULL".into()))?;
        *n = gen.queued();
        Ok(())
    })
}

/// Generates every queued incident as one batch (the k-th queued from stream `first_index + k`
/// of `seed`) and empties the queue (also on failure).
///
/// # Safety
/// `g` a live generator.
#[no_mangle]
pub unsafe extern "C" fn calogen_flush(
    g: *mut CalogenGenerator,
    seed: u64,
    first_index: u64,
) -> CalogenStatus {
    with_generator(g, |gen| gen.flush(seed, first_index).map_err(model_error))
}

/// The size of the last result: hits in all and showers. Either pointer may be NULL.
///
/// # Safety
/// `g` a live generator; the pointers NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn calogen_result_size(
    g: *mut CalogenGenerator,
    n_hits: *mut usize,
    n_showers: *mut usize,
) -> CalogenStatus {
    with_generator(g, |gen| {
        if gen.showers() == 0 {
            return Err(Failure(
                CalogenErrNoResult,
                "no result: generate first".into(),
            ));
        }
        if let Some(n) = n_hits.as_mut() {
            *n = gen.hits().len();
        }
        if let Some(n) = n_showers.as_mut() {
            *n = gen.showers();
        }
        Ok(())
    })
}

/// Copies the last result's hits into the caller's buffer of `capacity` hits; `*written` is the
/// number copied, or with `CALOGEN_ERR_BUFFER_TOO_SMALL` the number needed (nothing copied, the
/// result kept). The result stays in the generator until the next generate.
///
/// # Safety
/// `g` a live generator; `hits` valid for `capacity` hits; `written` valid.
#[no_mangle]
pub unsafe extern "C" fn calogen_copy_hits(
    g: *mut CalogenGenerator,
    hits: *mut CalogenHit,
    capacity: usize,
    written: *mut usize,
) -> CalogenStatus {
    with_generator(g, |gen| {
        let written = written
            .as_mut()
            .ok_or_else(|| Failure(CalogenErrNull, "written is NULL".into()))?;
        *written = 0;
        if gen.showers() == 0 {
            return Err(Failure(
                CalogenErrNoResult,
                "no result: generate first".into(),
            ));
        }
        let h = gen.hits();
        if capacity < h.len() {
            *written = h.len();
            return Err(Failure(
                CalogenErrBufferTooSmall,
                format!("{} hits, buffer of {capacity}", h.len()),
            ));
        }
        if h.is_empty() {
            return Ok(());
        }
        if hits.is_null() {
            return Err(Failure(CalogenErrNull, "hits is NULL".into()));
        }
        std::ptr::copy_nonoverlapping(h.as_ptr(), hits, h.len());
        *written = h.len();
        Ok(())
    })
}

/// Moves the last result out of the generator into library-owned memory; release it with
/// `calogen_hits_free` (from any thread).
///
/// # Safety
/// `g` a live generator; `out` valid.
#[no_mangle]
pub unsafe extern "C" fn calogen_take_hits(
    g: *mut CalogenGenerator,
    out: *mut *mut CalogenHits,
) -> CalogenStatus {
    with_generator(g, |gen| {
        let out = out
            .as_mut()
            .ok_or_else(|| Failure(CalogenErrNull, "out is NULL".into()))?;
        *out = std::ptr::null_mut();
        if gen.showers() == 0 {
            return Err(Failure(
                CalogenErrNoResult,
                "no result: generate first".into(),
            ));
        }
        let n_showers = gen.showers();
        let hits = gen.take_hits().into_boxed_slice();
        let n_hits = hits.len();
        *out = Box::into_raw(Box::new(CalogenHits {
            hits: Box::into_raw(hits) as *mut CalogenHit,
            n_hits,
            n_showers,
        }));
        Ok(())
    })
}

/// Releases hits from `calogen_take_hits` (NULL is ignored).
///
/// # Safety
/// `h` NULL or from `calogen_take_hits`, not yet freed.
#[no_mangle]
pub unsafe extern "C" fn calogen_hits_free(h: *mut CalogenHits) {
    if h.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let h = Box::from_raw(h);
        drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(
            h.hits, h.n_hits,
        )));
    }));
}

/// A test hook, not in the header: panics inside an entry point, so the tests can check that the
/// panic comes back as `CALOGEN_ERR_PANIC` with a message and the generator still works.
///
/// # Safety
/// `g` a live generator.
#[doc(hidden)]
#[no_mangle]
pub unsafe extern "C" fn calogen_test_panic(g: *mut CalogenGenerator) -> CalogenStatus {
    with_generator(g, |_| panic!("calogen_test_panic"))
}
