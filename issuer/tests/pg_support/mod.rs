//! `paycode serve` processes on a PostgreSQL database, for the tests of
//! several nodes (pg_nodes, pg_restart).
#![allow(dead_code)] // Each test file uses its own part.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

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
