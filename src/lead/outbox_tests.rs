//! The outbox's protocol over a fake browser: tabs are `Outbox`es sharing one storage, one set
//! of locks and one clock.

use super::*;
use alloc::rc::Rc;
use alloc::vec;
use core::future::{Future, poll_fn};
use core::pin::pin;
use core::task::{Context, Poll, Waker};

/// What every tab of the fake browser shares.
#[derive(Default)]
struct Browser {
    now: Cell<f64>,
    /// `localStorage` (the outbox as entries, the rest as text).
    outbox: RefCell<Vec<Entry>>,
    keys: RefCell<Vec<(&'static str, String)>>,
    /// A storage that takes writes and gives back nothing.
    forgetful: Cell<bool>,
    /// The Web Locks held.
    locks: RefCell<Vec<String>>,
    /// The outbox lock is not granted while set.
    outbox_busy: Cell<bool>,
    click_in_flight: Cell<bool>,
    click: RefCell<Option<(String, Vec<String>)>>,
    keepalive: Cell<bool>,
    /// Beacons sent, and whether the browser takes them.
    beacons: RefCell<Vec<String>>,
    beacons_refused: Cell<bool>,
    fired: RefCell<Vec<String>>,
    warnings: Cell<u32>,
}

struct Tab(Rc<Browser>);

/// A Web Lock of the fake browser, let go when dropped.
struct Held(Rc<Browser>, String);

impl Drop for Held {
    fn drop(&mut self) {
        self.0.locks.borrow_mut().retain(|l| *l != self.1);
    }
}

impl Host for Tab {
    type Lock = Held;

    fn now(&self) -> f64 {
        self.0.now.get()
    }

    fn random(&self) -> f64 {
        0.5
    }

    fn lock(&self, name: &str, if_available: bool) -> impl Future<Output = Option<Held>> + use<> {
        let b = self.0.clone();
        let name = String::from(name);
        let taken = b.locks.borrow().contains(&name);
        // The outbox lock is taken and given back within one step of these tests, so only a
        // busy flag stands for another tab holding it.
        let mut first = (if_available && taken).then_some(None);
        poll_fn(move |_| {
            if let Some(refused) = first.take() {
                return Poll::Ready(refused);
            }
            if name == LOCK && b.outbox_busy.get() {
                return Poll::Pending;
            }
            if name != LOCK {
                b.locks.borrow_mut().push(name.clone());
            }
            Poll::Ready(Some(Held(b.clone(), name.clone())))
        })
    }

    fn exclusive(_: &Held) -> bool {
        true
    }

    fn load(&self) -> Vec<Entry> {
        if self.0.forgetful.get() {
            return Vec::new();
        }
        self.0.outbox.borrow().clone()
    }

    fn save(&self, entries: &[Entry]) {
        if !self.0.forgetful.get() {
            *self.0.outbox.borrow_mut() = entries.to_vec();
        }
    }

    fn read(&self, key: &'static str) -> Option<String> {
        let keys = self.0.keys.borrow();
        keys.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone())
    }

    fn write(&self, key: &'static str, value: &str) {
        let mut keys = self.0.keys.borrow_mut();
        keys.retain(|(k, _)| *k != key);
        keys.push((key, String::from(value)));
    }

    fn click_in_flight(&self) -> bool {
        self.0.click_in_flight.get()
    }

    fn held_click(&self) -> Option<(String, Vec<String>)> {
        self.0.click.borrow().clone()
    }

    fn keepalive(&self) -> bool {
        self.0.keepalive.get()
    }

    fn beacon(&self, body: &str) -> bool {
        if self.0.beacons_refused.get() {
            return false;
        }
        self.0.beacons.borrow_mut().push(String::from(body));
        true
    }

    fn fire(&self, body: &str) {
        self.0.fired.borrow_mut().push(String::from(body));
    }

    fn warn(&self, _: &str) {
        self.0.warnings.set(self.0.warnings.get() + 1);
    }
}

fn browser() -> Rc<Browser> {
    let b = Rc::new(Browser::default());
    b.now.set(1_000_000.0);
    b.keepalive.set(true);
    b
}

const LEASE: u32 = 15_000;

fn tab(b: &Rc<Browser>, me: &str) -> Outbox<Tab> {
    Outbox::new(Tab(b.clone()), String::from(me), LEASE)
}

fn lead(key: &str) -> Lead {
    Lead {
        click_id: Some(String::from("c1")),
        customer_key: Some(String::from(key)),
        email: None,
        click_ids: vec![String::from("c1")],
        program_id: Some(String::from("42")),
        page_url: String::from("https://shop.example/signup"),
        session_id: String::from("s"),
        test_mode: false,
        debug: false,
    }
}

/// Polls `f` once: every step of the fake browser is ready at once, or waits on `outbox_busy`.
fn now_or_never<F: Future>(f: F) -> Option<F::Output> {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => Some(v),
        Poll::Pending => None,
    }
}

fn run<F: Future>(f: F) -> F::Output {
    now_or_never(f).expect("a step of the protocol waited with no lock taken")
}

fn stored(b: &Browser) -> Vec<Entry> {
    b.outbox.borrow().clone()
}

fn new_lead(outbox: &Outbox<Tab>, key: &str) -> (String, Option<Attempt>) {
    match run(outbox.accept(&lead(key))) {
        Accepted::New { id, first } => (id, first),
        other => panic!("expected a new lead, got {other:?}"),
    }
}

fn is_duplicate(a: Accepted) -> bool {
    matches!(a, Accepted::Duplicate)
}

#[test]
fn a_new_lead_is_stored_and_its_first_attempt_claimed_at_once() {
    let b = browser();
    let a = tab(&b, "s_a");
    let (id, first) = new_lead(&a, "u1");
    let first = first.expect("claimed in the same lock round trip");
    assert_eq!(id, "s_a.1");
    assert_eq!(first.attempts, 1);
    assert!(first.body.starts_with(
        r#"{"click_id":"c1","click_ids":["c1"],"has_attribution":true,"customer_key":"u1","#
    ));
    let e = &stored(&b)[0];
    assert_eq!((e.owner.as_str(), e.attempts, e.waiting), ("s_a", 1, false));
    assert_eq!(e.lease, b.now.get() + LEASE as f64);
    assert_eq!(e.fp, first.fp);
    assert!(!e.fp.is_empty());
    assert_eq!(new_lead(&a, "u2").0, "s_a.2", "numbered per page");
}

#[test]
fn one_lead_per_customer_across_tabs() {
    let b = browser();
    let (a, other) = (tab(&b, "s_a"), tab(&b, "s_b"));
    let (id, first) = new_lead(&a, "u1");
    assert!(
        is_duplicate(run(other.accept(&lead("u1")))),
        "another tab, while this one holds the customer"
    );
    assert!(
        is_duplicate(run(a.accept(&lead("u1")))),
        "the same tab again"
    );
    new_lead(&other, "u2");
    // The page goes: its customer locks with it, its entry stays in the outbox.
    a.release();
    assert!(
        is_duplicate(run(other.accept(&lead("u1")))),
        "the outbox holds this customer's lead"
    );
    // Delivered: the entry goes, the fingerprint is remembered.
    run(a.answered(&id, &first.unwrap().fp, true));
    assert_eq!(stored(&b).len(), 1);
    let later = tab(&b, "s_c");
    assert!(
        is_duplicate(run(later.accept(&lead("u1")))),
        "delivered from this browser"
    );
    new_lead(&later, "u3");
}

#[test]
fn a_refused_lead_lets_its_customer_sign_up_again() {
    let b = browser();
    let a = tab(&b, "s_a");
    let (id, first) = new_lead(&a, "u1");
    run(a.answered(&id, &first.unwrap().fp, false));
    assert!(stored(&b).is_empty());
    assert!(b.read_key(dedupe::SENT_KEY).is_none(), "not remembered");
    let (again, _) = new_lead(&tab(&b, "s_b"), "u1");
    assert_eq!(again, "s_b.1");
}

#[test]
fn the_bound_refuses_new_leads_and_never_drops_one_held() {
    let b = browser();
    let filler = tab(&b, "s_f");
    for n in 0..entry::MAX_ENTRIES {
        let mut key = String::from("k");
        crate::text::push_number(&mut key, n as u64);
        new_lead(&filler, &key);
    }
    let a = tab(&b, "s_a");
    assert!(matches!(run(a.accept(&lead("u1"))), Accepted::Full));
    assert_eq!(stored(&b).len(), entry::MAX_ENTRIES);
    assert!(
        !matches!(run(a.accept(&lead("k1"))), Accepted::Full),
        "a duplicate is told as one, bound or not"
    );
}

#[test]
fn a_lead_made_while_its_click_is_on_its_way_takes_that_click() {
    let b = browser();
    let a = tab(&b, "s_a");
    b.click_in_flight.set(true);
    let mut l = lead("u1");
    l.click_id = None;
    l.click_ids.clear();
    let Accepted::New { id, first: None } = run(a.accept(&l)) else {
        panic!("the first attempt waits for the click");
    };
    let e = &stored(&b)[0];
    assert_eq!((e.attempts, e.waiting), (0, true));
    b.click_in_flight.set(false);
    *b.click.borrow_mut() = Some((String::from("c9"), vec![String::from("c9")]));
    let attempt = run(a.claim(&id)).expect("still this page's");
    assert!(
        attempt
            .body
            .starts_with(r#"{"click_id":"c9","click_ids":["c9"],"has_attribution":true,"#)
    );
    assert_eq!(
        stored(&b)[0].click.as_deref(),
        Some("c9"),
        "kept for the next attempts"
    );
}

#[test]
fn leases_decide_which_tab_sends() {
    let b = browser();
    let (a, other) = (tab(&b, "s_a"), tab(&b, "s_b"));
    let (id, _) = new_lead(&a, "u1");
    let found = run(other.flush());
    assert!(found.claimed.is_empty() && found.exclusive);
    assert_eq!(
        found.recheck_in,
        Some(LEASE),
        "looks again when the lease runs out"
    );
    assert_eq!(
        run(other.flush()).recheck_in,
        None,
        "one look-again at a time"
    );
    other.recheck_due();
    assert!(run(other.claim(&id)).is_none(), "not while the lease runs");
    b.now.set(b.now.get() + LEASE as f64);
    assert_eq!(
        run(other.flush()).claimed,
        vec![id.clone()],
        "an orphaned lead"
    );
    assert!(run(a.claim(&id)).is_none(), "the other tab holds it now");
    let attempt = run(other.claim(&id)).unwrap();
    assert_eq!(attempt.attempts, 2);
}

#[test]
fn a_flush_leaves_what_this_tab_is_sending() {
    let b = browser();
    let a = tab(&b, "s_a");
    b.click_in_flight.set(true);
    let (id, _) = new_lead(&a, "u1");
    let sending = a.sending(&id).expect("not sent yet");
    assert!(a.sending(&id).is_none(), "one send per entry");
    assert!(run(a.flush()).claimed.is_empty());
    drop(sending);
    assert_eq!(run(a.flush()).claimed, vec![id]);
}

#[test]
fn a_failed_attempt_waits_here_or_is_let_go() {
    let b = browser();
    let (a, other) = (tab(&b, "s_a"), tab(&b, "s_b"));
    let (id, _) = new_lead(&a, "u1");
    let now = b.now.get();
    run(a.postpone(&id, Next::Wait(1_000)));
    let e = &stored(&b)[0];
    assert_eq!((e.owner.as_str(), e.waiting), ("s_a", true));
    assert_eq!(e.lease, now + 1_000.0 + WAITING_SLACK_MS);
    run(a.postpone(
        &id,
        Next::Later {
            not_before_ms: 60_000,
        },
    ));
    assert!(stored(&b)[0].owner.is_empty());
    assert!(
        run(other.flush()).claimed.is_empty(),
        "a Retry-After holds every tab back"
    );
    b.now.set(now + 60_000.0);
    other.recheck_due();
    assert_eq!(run(other.flush()).claimed, vec![id]);
}

#[test]
fn a_going_page_beacons_the_lead_still_waiting_for_the_lock() {
    let b = browser();
    let a = tab(&b, "s_a");
    b.outbox_busy.set(true);
    let l = lead("u1");
    let mut accepting = pin!(a.accept(&l));
    let mut cx = Context::from_waker(Waker::noop());
    assert!(accepting.as_mut().poll(&mut cx).is_pending());
    a.release();
    let beacons = b.beacons.borrow().clone();
    assert_eq!(beacons.len(), 1);
    assert!(beacons[0].contains(r#""customer_key":"u1""#));
    let e = &stored(&b)[0];
    assert_eq!((e.owner.as_str(), e.attempts, e.unseen), ("s_a", 1, 1));
    assert_eq!(e.lease, b.now.get() + ANSWER_EXPECTED_MS as f64);
    b.outbox_busy.set(false);
    assert!(matches!(
        accepting.as_mut().poll(&mut cx),
        Poll::Ready(Accepted::Released)
    ));
    assert_eq!(stored(&b).len(), 1, "kept once");
}

#[test]
fn a_going_page_hands_on_each_lead_as_its_state_asks() {
    let b = browser();
    let a = tab(&b, "s_a");
    let (in_flight, _) = new_lead(&a, "u1");
    let (retrying, _) = new_lead(&a, "u2");
    run(a.postpone(&retrying, Next::Wait(1_000)));
    b.click_in_flight.set(true);
    let (unsent, _) = new_lead(&a, "u3");
    b.beacons_refused.set(true);
    a.release();
    assert!(a.hiding());
    let now = b.now.get();
    let all = stored(&b);
    let of = |id: &str| all.iter().find(|e| e.id == id).unwrap();
    // In flight with keepalive: it carries on without the page; the answer is expected soon.
    assert_eq!(of(&in_flight).lease, now + ANSWER_EXPECTED_MS as f64);
    assert_eq!(of(&in_flight).unseen, 1);
    // Waiting for a retry: the next page view sends it at once.
    assert!(of(&retrying).owner.is_empty() && of(&retrying).lease == 0.0);
    // Never sent: a keepalive fetch where the beacon was refused.
    assert_eq!((of(&unsent).attempts, of(&unsent).unseen), (1, 1));
    assert_eq!(b.fired.borrow().len(), 1);
    assert!(b.fired.borrow()[0].contains(r#""customer_key":"u3""#));
}

#[test]
fn without_keepalive_every_unconfirmed_lead_goes_as_a_beacon() {
    let b = browser();
    b.keepalive.set(false);
    let a = tab(&b, "s_a");
    new_lead(&a, "u1");
    a.release();
    assert_eq!(b.beacons.borrow().len(), 1);
    assert_eq!(stored(&b)[0].attempts, 2);
}

#[test]
fn a_lead_left_twice_with_no_answer_seen_counts_as_delivered() {
    let b = browser();
    let first = tab(&b, "s_a");
    let (id, _) = new_lead(&first, "u1");
    first.release();
    b.now.set(b.now.get() + ANSWER_EXPECTED_MS as f64);
    let second = tab(&b, "s_b");
    assert_eq!(run(second.flush()).claimed, vec![id]);
    second.release();
    assert!(stored(&b).is_empty(), "not sent on and on");
    assert!(is_duplicate(run(tab(&b, "s_c").accept(&lead("u1")))));
}

#[test]
fn a_storage_that_keeps_nothing_leaves_the_outbox_in_memory() {
    let b = browser();
    b.forgetful.set(true);
    let a = tab(&b, "s_a");
    let (id, _) = new_lead(&a, "u1");
    assert_eq!(b.warnings.get(), 1);
    assert_eq!(a.waiting().0, 1);
    run(a.postpone(&id, Next::Later { not_before_ms: 0 }));
    assert_eq!(run(a.flush()).claimed, vec![id]);
    assert_eq!(b.warnings.get(), 1, "said once");
}

impl Browser {
    fn read_key(&self, key: &str) -> Option<String> {
        let keys = self.keys.borrow();
        keys.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone())
    }
}
