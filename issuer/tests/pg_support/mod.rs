//! `paycode serve` processes on a PostgreSQL database, for the tests of
//! several nodes (pg_nodes, pg_restart, pg_failover), and the clusters
//! .ci/pg.sh started.
#![allow(dead_code)] // Each test file uses its own part.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use std::time::Instant;

pub struct Node {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn spawn_node(db: &str) -> Node {
    let www = concat!(env!("CARGO_MANIFEST_DIR"), "/../www");
    let mut child = Command::new(env!("CARGO_BIN_EXE_paycode"))
        .args(["serve", "--addr", "127.0.0.1:0", "--www", www, "--db", db])
        .args(["--demo", "--merchant-rate", "0", "--client-rate", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("paycode serve starts");
    let (lines, first) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let line = first
        .recv_timeout(Duration::from_secs(60))
        .expect("the node prints where it listens");
    let url = line
        .strip_prefix("paycode serve: listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    Node {
        child,
        addr: url.trim_end_matches('/').parse().unwrap(),
    }
}

/// Whether we run as root, where the cluster's owner is `postgres`.
fn root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

/// `pg_ctl -D DATA ARGS…` as the cluster's owner; waits for it to finish.
pub fn pg_ctl(data: &str, args: &[&str]) {
    let bin = std::env::var("PAYCODE_TEST_PG_BIN").expect("PAYCODE_TEST_PG_BIN (.ci/pg.sh)");
    let pg_ctl = format!("{bin}/pg_ctl");
    let mut cmd = if root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", &pg_ctl]);
        c
    } else {
        Command::new(&pg_ctl)
    };
    let log = format!("{data}/../restart.log");
    let status = cmd
        .args(["-D", data, "-w", "-t", "60", "-l", &log])
        .args(args)
        .status()
        .unwrap();
    assert!(status.success(), "pg_ctl {args:?}");
}

/// The cluster in `data` dies as with its machine: the postmaster is
/// stopped first, so that it forks nothing more, then it and every
/// process it started get SIGKILL. Returns once `port` refuses
/// connections.
pub fn kill_cluster(data: &str, port: u16) {
    let pid_file = std::fs::read_to_string(format!("{data}/postmaster.pid")).unwrap();
    let postmaster = pid_file.lines().next().unwrap().trim().to_owned();
    let kill = |signal: &str, pids: &[String]| {
        let status = Command::new("kill")
            .arg(signal)
            .args(pids)
            .status()
            .unwrap();
        assert!(status.success(), "kill {signal} {pids:?}");
    };
    kill("-STOP", std::slice::from_ref(&postmaster));
    let children = Command::new("ps")
        .args(["-o", "pid=", "--ppid", &postmaster])
        .output()
        .unwrap();
    let mut pids: Vec<String> = String::from_utf8_lossy(&children.stdout)
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    pids.push(postmaster);
    kill("-KILL", &pids);
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "port {port} still answers"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
