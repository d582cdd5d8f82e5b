//! Tests of the cache-line probe: both methods, a partner that is absent, stuck or lying, and
//! sequences that lose or reorder a value (an error, never a figure).

use super::*;

/// The default probe, but waiting up to 5 s for its partner: on a busy machine (tests run beside
/// each other on 2 CPUs) a thread can go unscheduled for longer than the harness's 100 ms, which
/// these tests are not about.
const PATIENT: ProbeConfig = ProbeConfig {
    partner_timeout: Duration::from_secs(5),
    ..DEFAULT
};

fn two_cpus() -> Option<[usize; 2]> {
    let cpus = crate::machine::available_cpus();
    match cpus[..] {
        [a, b, ..] => Some([a, b]),
        _ => {
            eprintln!("skipped: the probe needs 2 CPUs, this process may use {cpus:?}");
            None
        }
    }
}

#[test]
fn the_probe_measures_a_positive_latency_between_two_cpus() {
    let Some(cpus) = two_cpus() else { return };
    let m = probe_with(cpus, &PATIENT, respond).expect("the responder answers");
    assert!(m.one_way_ns > 0.0, "{m:?}");
    assert!(m.round_trips >= u64::from(DEFAULT.batch));
}

#[test]
fn the_probe_gives_up_when_its_partner_never_answers() {
    let Some(cpus) = two_cpus() else { return };
    fn absent(_: &Line) {}
    let cfg = ProbeConfig {
        partner_timeout: Duration::from_millis(20),
        ..DEFAULT
    };
    let err = probe_with(cpus, &cfg, absent).unwrap_err();
    assert!(err.contains("the partner"), "{err}");
}

#[test]
fn the_probe_gives_up_when_its_partner_is_stuck_and_does_not_wait_for_it() {
    let Some(cpus) = two_cpus() else { return };
    // Runs, but only answers (quits) long after the timeout: the probe returns without it.
    fn stuck(line: &Line) {
        while line.value.load(Ordering::Acquire) != STOP {
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let cfg = ProbeConfig {
        partner_timeout: Duration::from_millis(20),
        ..DEFAULT
    };
    let err = probe_with(cpus, &cfg, stuck).unwrap_err();
    assert!(err.contains("the partner"), "{err}");
}

#[test]
fn a_wrong_answer_is_an_error_not_a_figure() {
    let Some(cpus) = two_cpus() else { return };
    fn liar(line: &Line) {
        while line.value.load(Ordering::Acquire) != 1 {
            std::hint::spin_loop();
        }
        line.value.store(7, Ordering::Release);
    }
    let err = probe_with(cpus, &DEFAULT, liar).unwrap_err();
    assert!(err.contains("held 7"), "{err}");
}

#[test]
fn both_methods_measure_a_positive_latency_and_keep_every_batch() {
    let Some(cpus) = two_cpus() else { return };
    for method in [Method::StoreLoad, Method::Cas] {
        let cfg = ProbeConfig { method, ..PATIENT };
        let m = probe_with(cpus, &cfg, respond).expect("the responder answers");
        assert!(m.one_way_ns > 0.0, "{method:?}: {m:?}");
        assert!(m.batches.windows(2).all(|w| w[0] <= w[1]), "sorted");
        assert_eq!(m.round_trips, m.batches.len() as u64 * u64::from(cfg.batch));
        assert!(m.batches.contains(&m.one_way_ns));
    }
}

#[test]
fn a_lost_value_is_an_error_not_a_figure() {
    let Some(cpus) = two_cpus() else { return };
    // Answers 1 with 2 and 3 with 4, then answers 5 with 8: the 6 is lost.
    fn lossy(line: &Line) {
        for (want, answer) in [(1, 2), (3, 4), (5, 8)] {
            while line.value.load(Ordering::Acquire) != want {
                std::hint::spin_loop();
            }
            line.value.store(answer, Ordering::Release);
        }
    }
    for method in [Method::StoreLoad, Method::Cas] {
        let cfg = ProbeConfig { method, ..PATIENT };
        let err = probe_with(cpus, &cfg, lossy).unwrap_err();
        assert!(err.contains("held 8") && err.contains("lost"), "{err}");
    }
}

#[test]
fn a_reordered_value_is_an_error_not_a_figure() {
    let Some(cpus) = two_cpus() else { return };
    // Answers 1 with 2, then 3 with 2 again: an old value arriving after a newer one.
    fn stale(line: &Line) {
        for (want, answer) in [(1, 2), (3, 2)] {
            while line.value.load(Ordering::Acquire) != want {
                std::hint::spin_loop();
            }
            line.value.store(answer, Ordering::Release);
        }
    }
    let err = probe_with(cpus, &DEFAULT, stale).unwrap_err();
    assert!(err.contains("held 2, expected 3 or 4"), "{err}");
}

#[test]
fn the_responder_refuses_a_sequence_that_skips_a_value() {
    // The test plays the initiator: 1 (answered with 2), then 5 instead of 3.
    for method in [Method::StoreLoad, Method::Cas] {
        let line = Arc::new(Line::new(method));
        let responder = {
            let line = Arc::clone(&line);
            std::thread::spawn(move || respond(&line))
        };
        line.value.store(1, Ordering::Release);
        while line.value.load(Ordering::Acquire) != 2 {
            std::thread::yield_now();
        }
        line.value.store(5, Ordering::Release);
        responder.join().unwrap();
        assert_eq!(line.value.load(Ordering::Acquire), FAULT, "{method:?}");
        assert_eq!(line.fault.load(Ordering::Acquire), 5);
        assert_eq!(line.answered.load(Ordering::Acquire), 1);
        let why = out_of_sequence(&line, FAULT, 5, 6);
        assert!(why.contains("saw 5 where it expected 2 or 3"), "{why}");
    }
}

#[test]
fn answers_that_do_not_add_up_are_an_error() {
    let Some(cpus) = two_cpus() else { return };
    // Answers every round trip, but claims one more than it made.
    fn miscounts(line: &Line) {
        respond(line);
        line.answered.fetch_add(1, Ordering::AcqRel);
    }
    let err = probe_with(cpus, &PATIENT, miscounts).unwrap_err();
    assert!(err.contains("the responder answered"), "{err}");
}
