//! Uncontended single-operation costs of every correct variant (one thread), through the same
//! methods the variants' `run` calls, plus the matmul kernel next to one whole-matrix
//! `matrixmultiply::dgemm` call at n = 512. Run: `cargo bench -p contend-workloads`.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::time::{Duration, Instant};

use contend_workloads::counter::{Actor, Atomic, FalseSharing, Locked, Sharded};
use contend_workloads::matmul::{FanOut, Matrices, SharedRows};
use contend_workloads::pool::{ChannelWorkers, SharedQueuePool, WorkStealingPool, execute};
use contend_workloads::queue::{
    Channel, Crossbeam, Flume, LockFree, MutexDeque, Queue, StdChannel,
};
use contend_workloads::{Params, WorkerCtx};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// Runs `f` with a one-thread context (its histogram records like the harness's would).
fn with_ctx(f: impl FnOnce(&mut WorkerCtx)) {
    let (stop, progress) = (AtomicBool::new(false), AtomicU64::new(0));
    f(&mut WorkerCtx::new(
        0,
        1,
        &stop,
        &progress,
        Instant::now(),
        1,
    ));
}

fn counters(c: &mut Criterion) {
    let p = Params::default();
    let mut g = c.benchmark_group("counter");
    let locked = Locked::new(&p);
    g.bench_function("mutex", |b| b.iter(|| locked.increment()));
    let atomic = Atomic::new(&p);
    g.bench_function("atomic", |b| b.iter(|| atomic.increment()));
    let sharded = Sharded::new(&p, 1);
    g.bench_function("sharded", |b| b.iter(|| sharded.increment(0)));
    let false_sharing = FalseSharing::new(&p, 1);
    g.bench_function("false-sharing", |b| b.iter(|| false_sharing.increment(0)));
    let actor = Actor::new(&p, 1, 1);
    g.bench_function("actor (send + owner receipt)", |b| {
        b.iter(|| actor.send_and_own_one(1))
    });
    g.finish();
}

/// One message: produce (stamp, enqueue) then dequeue and consume (record sojourn, check value).
fn queue_round<C: Channel>(c: &mut Criterion, name: &str) {
    let q = Queue::<C>::new(&Params::default(), 2);
    with_ctx(|ctx| {
        let mut seq = 0u64;
        c.bench_function(&format!("queue/{name} (send + receive)"), |b| {
            b.iter(|| {
                seq += 1;
                black_box(q.send_and_receive_one(ctx, seq))
            })
        });
    });
}

fn queues(c: &mut Criterion) {
    queue_round::<MutexDeque>(c, "mutex-deque");
    queue_round::<LockFree>(c, "lock-free");
    queue_round::<StdChannel>(c, "std-channel");
    queue_round::<Crossbeam>(c, "crossbeam-channel");
    queue_round::<Flume>(c, "flume");
}

fn pools(c: &mut Criterion) {
    // task_work 0: the pool's own cost per task; `execute` alone shows the default task's size.
    let p = Params {
        task_work: 0,
        ..Params::default()
    };
    let default_work = Params::default().task_work;
    c.bench_function(
        &format!("pool/task alone (task_work {default_work})"),
        |b| b.iter(|| execute(black_box(default_work), 1)),
    );
    with_ctx(|ctx| {
        let mut id = 0u64;
        let shared = SharedQueuePool::new(&p, 1);
        c.bench_function("pool/shared-queue (submit + run, task_work 0)", |b| {
            b.iter(|| {
                shared.submit(ctx, id);
                id += 1;
                // The shared queue's per-worker handle is `()`.
                shared.work_one(ctx, &mut (), 0)
            })
        });
        let stealing = WorkStealingPool::new(&p, 1);
        let mut local = stealing.local(0);
        c.bench_function("pool/work-stealing (submit + run, task_work 0)", |b| {
            b.iter(|| {
                stealing.submit(ctx, id);
                id += 1;
                stealing.work_one(ctx, &mut local, 0)
            })
        });
        let channel = ChannelWorkers::new(&p, 1);
        c.bench_function(
            "pool/channel-workers (submit + run + collect, task_work 0)",
            |b| {
                b.iter(|| {
                    channel.submit(ctx, id);
                    id += 1;
                    channel.work_one(ctx);
                    channel.try_collect().map(|d| d.result)
                })
            },
        );
    });
}

fn matmul(c: &mut Criterion) {
    let p = Params::default();
    let n = p.matrix_size;
    let mut g = c.benchmark_group(format!("matmul n={n}"));
    g.sample_size(10).measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Elements(2 * (n as u64).pow(3))); // elements/s = flop/s
    let mut shared = SharedRows::new(&p, 1);
    let m = Matrices::new(&p);
    let (a, bm) = (&m.a, &m.b);
    let mut whole = vec![0.0; n * n];
    g.bench_function("matrixmultiply dgemm, whole matrix", |b| {
        b.iter(|| {
            // SAFETY: a, bm, whole are n x n row-major buffers; whole aliases neither input.
            unsafe {
                matrixmultiply::dgemm(
                    n,
                    n,
                    n,
                    1.0,
                    a.as_ptr(),
                    n as isize,
                    1,
                    bm.as_ptr(),
                    n as isize,
                    1,
                    0.0,
                    whole.as_mut_ptr(),
                    n as isize,
                    1,
                );
            }
        })
    });
    let tiles = shared.tiling();
    let label = format!(
        "{} tiles of {} x {}",
        tiles.count(),
        tiles.height,
        tiles.width
    );
    g.bench_function(format!("shared-rows kernel, 1 thread ({label})"), |b| {
        b.iter(|| shared.product_alone())
    });
    let fan_out = FanOut::new(&p, 1);
    let mut buf = Vec::new();
    g.bench_function(
        format!("fan-out kernel + assembly, 1 thread ({label})"),
        |b| b.iter(|| fan_out.product_alone(&mut buf)),
    );
    g.finish();
}

criterion_group!(benches, counters, queues, pools, matmul);
criterion_main!(benches);
