//! Typed notifications through the generated nlctrl client (sync and tokio): a message is
//! multicast into nlctrl's `notify` group from user space (root/CAP_NET_ADMIN) and comes
//! back decoded as `Notification::Newfamily` / `NewmcastGrp` with its typed attributes.

use std::time::Duration;

use nlspec_nlctrl::{cmd, AsyncClient, Client, CtrlAttrsEncoder, Group, Notification};
use nlspec_rt::msg::{finish_message, start_message};
use nlspec_rt::{AttrWriter, GenlSocket};

/// A family id no real family has, so notifications of concurrently running tests (or real
/// ones) can be told apart.
fn marker() -> u16 {
    0x3000 + (std::process::id() % 0x0fff) as u16
}

fn fake(cmd: u8, name: &str) -> Vec<u8> {
    let mut b = Vec::new();
    start_message(&mut b, 0x10, 0, 0, 0, cmd, 2, &[]);
    let mut w = AttrWriter::new(&mut b);
    CtrlAttrsEncoder::new(&mut w).family_name(name).family_id(marker()).version(7).mcast_groups(|a| {
        a.item_at(1, |g| {
            g.name("grp").id(99);
        });
    });
    w.finish().unwrap();
    finish_message(&mut b).unwrap();
    b
}

fn send(group: u32, msg: &[u8]) -> bool {
    let mut s = GenlSocket::new().unwrap();
    match s.send_raw_to(msg, 0, 1 << (group - 1)) {
        Ok(()) => true,
        Err(e) if e.errno() == Some(1) => {
            eprintln!("SKIP: no CAP_NET_ADMIN to multicast from user space");
            false
        }
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn typed_notifications() {
    let mut c = Client::new().unwrap();
    let group = c.subscribe(Group::Notify).unwrap();
    if !send(group, &fake(cmd::NEWFAMILY, "nlspec-fake")) {
        return;
    }
    send(group, &fake(cmd::NEWMCAST_GRP, "nlspec-fake"));
    let mut seen = Vec::new();
    while let Some(n) = c.recv_notification_timeout(Duration::from_millis(500)).unwrap() {
        match n {
            Notification::Newfamily(f) if f.family_id() == Ok(Some(marker())) => {
                assert_eq!(f.family_name(), Ok(Some("nlspec-fake")));
                assert_eq!(f.version(), Ok(Some(7)));
                let groups: Vec<_> = f
                    .mcast_groups()
                    .unwrap()
                    .map(|e| {
                        let (i, g) = e.unwrap();
                        (i, g.name().unwrap().unwrap(), g.id().unwrap().unwrap())
                    })
                    .collect();
                assert_eq!(groups, [(1, "grp", 99)]);
                seen.push("newfamily");
            }
            Notification::NewmcastGrp(f) if f.family_id() == Ok(Some(marker())) => {
                assert_eq!(f.mcast_groups().unwrap().map(Result::unwrap).count(), 1);
                seen.push("newmcast-grp");
            }
            _ => {}
        }
        if seen.len() == 2 {
            break;
        }
    }
    assert_eq!(seen, ["newfamily", "newmcast-grp"]);
}

#[test]
fn typed_notifications_async() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let mut c = AsyncClient::new().unwrap();
        // The async client does the same requests.
        let me = c.family().await.unwrap();
        assert_eq!(me.id, 0x10);
        let mut it = c.getfamily_dump(&nlspec_nlctrl::GetfamilyDumpRequest::new()).await.unwrap();
        let mut n = 0;
        while let Some(r) = it.next().await {
            assert!(r.unwrap().family_name().unwrap().is_some());
            n += 1;
        }
        drop(it);
        assert!(n >= 2);
        let group = c.subscribe(Group::Notify).await.unwrap();
        if !send(group, &fake(cmd::DELFAMILY, "nlspec-fake-async")) {
            return;
        }
        let got = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                match c.recv_notification().await.unwrap() {
                    Notification::Delfamily(f) if f.family_id() == Ok(Some(marker())) => {
                        return f.family_name().unwrap().map(str::to_string);
                    }
                    _ => continue,
                }
            }
        })
        .await
        .expect("notification within 5 s");
        assert_eq!(got.as_deref(), Some("nlspec-fake-async"));
    });
}
