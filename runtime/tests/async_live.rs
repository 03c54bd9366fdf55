//! The tokio socket against the live kernel (`cargo test -p nlspec-rt --features tokio`).

use std::collections::BTreeSet;
use std::time::Duration;

use nlspec_rt::ctrl::{self, CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME};
use nlspec_rt::msg::{GenlMsgHdr, NlMsgHdr};
use nlspec_rt::{AsyncGenlSocket, AttrWriter, Error, GenlSocket};

#[tokio::test(flavor = "current_thread")]
async fn async_resolve_dump_and_errors() {
    let mut s = AsyncGenlSocket::new().unwrap();
    assert_eq!(s.family_id("nlctrl").await.unwrap(), 0x10, "resolved by family_id");
    let f = s.resolve_family("nlctrl").await.unwrap();
    assert_eq!(f.id, 0x10);
    assert_eq!(s.family_id("nlctrl").await.unwrap(), 0x10, "from the cache");
    assert_eq!(s.family_id("nosuchfamily").await.unwrap_err().errno(), Some(libc::ENOENT));

    let mut sync = GenlSocket::new().unwrap();
    let want: BTreeSet<_> = sync.list_families().unwrap().into_iter().map(|f| (f.name, f.id)).collect();
    let got: BTreeSet<_> = s.list_families().await.unwrap().into_iter().map(|f| (f.name, f.id)).collect();
    assert_eq!(got, want);

    // Small buffer: same result.
    s.set_rx_buffer(256, true);
    let got2: BTreeSet<_> = s.list_families().await.unwrap().into_iter().map(|f| (f.name, f.id)).collect();
    assert_eq!(got2, want);

    let e = s.resolve_family("nosuchfamily").await.unwrap_err();
    assert_eq!(e.errno(), Some(libc::ENOENT));
    let e = s.request(&ctrl::getfamily_request(), |w| w.put_u8(CTRL_ATTR_FAMILY_ID, 1)).await.unwrap_err();
    let Error::Kernel { path, policy, .. } = &e else { panic!("{e:?}") };
    assert_eq!(path.as_ref().unwrap().to_string(), ".1");
    assert!(policy.is_some());

    // Abandoned dump, then another request on the same socket.
    {
        let mut it = s.dump(&ctrl::getfamily_request(), |_| {}).await.unwrap();
        it.next().await.unwrap().unwrap();
    }
    assert_eq!(s.list_families().await.unwrap().len(), want.len());
}

#[tokio::test(flavor = "current_thread")]
async fn async_notifications_queue_during_requests() {
    let mut listener = AsyncGenlSocket::new().unwrap();
    let group = listener.subscribe("nlctrl", "notify").await.unwrap();
    let mut sender = GenlSocket::new().unwrap();
    let mut b = Vec::new();
    let mut h = NlMsgHdr { len: 0, ty: 0x10, flags: 0, seq: 0, pid: 0 };
    b.extend_from_slice(&h.to_bytes());
    b.extend_from_slice(&GenlMsgHdr { cmd: ctrl::CTRL_CMD_NEWFAMILY, version: 2, reserved: 0 }.to_bytes());
    let mut w = AttrWriter::new(&mut b);
    w.put_u16(CTRL_ATTR_FAMILY_ID, 0x7777);
    w.put_str(CTRL_ATTR_FAMILY_NAME, "fake");
    h.len = b.len() as u32;
    b[..16].copy_from_slice(&h.to_bytes());
    if let Err(e) = sender.send_raw_to(&b, 0, 1 << (group - 1)) {
        assert_eq!(e.errno(), Some(libc::EPERM), "{e}");
        eprintln!("SKIP: no CAP_NET_ADMIN");
        return;
    }
    listener.forget_families();
    listener.resolve_family("nlctrl").await.unwrap();
    assert!(listener.queued_notifications() >= 1);
    let n = tokio::time::timeout(Duration::from_secs(2), listener.recv_notification()).await.unwrap().unwrap();
    assert_eq!(n.group, group);
    let info = nlspec_rt::FamilyInfo::decode(&n.genl(0).unwrap()).unwrap();
    assert_eq!((info.name.as_str(), info.id), ("fake", 0x7777));
    // Nothing more from us: draining ends in a timeout (and cancelling the wait loses nothing).
    while let Ok(n) = tokio::time::timeout(Duration::from_millis(50), listener.recv_notification()).await {
        let info = nlspec_rt::FamilyInfo::decode(&n.unwrap().genl(0).unwrap()).unwrap();
        assert_ne!(info.id, 0x7777, "only one was sent");
    }
}

#[test]
fn outside_a_runtime_is_an_error_not_a_panic() {
    let e = AsyncGenlSocket::new().unwrap_err();
    assert!(e.to_string().contains("tokio runtime"), "{e}");
}

/// The async `request_all` and `request_batch`, as the sync ones.
#[tokio::test(flavor = "current_thread")]
async fn async_request_all_and_batch() {
    let mut s = AsyncGenlSocket::new().unwrap();
    let req = ctrl::getfamily_request();
    let mut it = s.request_all(&req, |w| ctrl::put_family_name(w, "nlctrl")).await.unwrap();
    let mut ids = Vec::new();
    while let Some(m) = it.next().await {
        ids.push(ctrl::FamilyInfo::decode(&m.unwrap()).unwrap().id);
    }
    assert!(it.warning().is_none());
    drop(it);
    assert_eq!(ids, [0x10]);
    assert!(s.last_warning().is_none());

    let mut a = Vec::new();
    let mut w = AttrWriter::new(&mut a);
    ctrl::put_family_name(&mut w, "nlctrl");
    w.finish().unwrap();
    let mut it = s.request_batch(&[(req, &a[..]), (req, &a[..])], 0).await.unwrap();
    let (mut replies, mut acks) = (0, 0);
    while let Some(item) = it.next().await {
        match item.unwrap() {
            nlspec_rt::BatchItem::Reply { .. } => replies += 1,
            nlspec_rt::BatchItem::Done { result, .. } => {
                result.unwrap();
                acks += 1;
            }
        }
    }
    assert_eq!((replies, acks), (2, 2));
}
