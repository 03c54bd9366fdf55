//! Fuzz target `client_views`: bytes → the typed views of the generated clients (nlctrl, nlkv,
//! rt-link under generated/client/): every attribute-set view, every reply and the
//! notification enum. Any bytes make a set view (nothing is read until a getter is called), so
//! each view, well-formed or not, is walked through every getter (by `Debug`, which calls them
//! all and prints what they cannot read as `<malformed: ...>`, and by `to_owned`, which calls
//! them in turn down to the first error), its unknown attributes are listed, and the owned copy
//! (or its error) is formatted; a reply decoded and returned must equal the reply decoded in
//! place and lent to a closure. Byte 0 picks the view (see `VIEWS`), the rest is its input: an
//! attribute stream for a set view, a whole message for a reply or a notification.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nlspec_rt::typed_raw::RawMsg;
use nlspec_rt::{GenlMsg, NlMsg};
use std::hint::black_box;

/// An attribute-set view: make, walk, own.
macro_rules! set {
    ($t:ty, $b:expr) => {{
        let v = <$t>::new($b);
        let owned = v.to_owned();
        black_box((format!("{v:?}"), format!("{owned:?}"), v.unknown_attrs().count(), v.raw().len()));
    }};
}

/// A reply decoded and returned (`decode`) is the reply decoded and lent (`decode_with`,
/// formatted by its closure): the same reply, or the same error.
fn same_as_lent<T: std::fmt::Debug>(
    decoded: &Result<T, nlspec_rt::DecodeError>,
    lent: Result<String, nlspec_rt::DecodeError>,
) {
    match (decoded, lent) {
        (Ok(r), Ok(text)) => assert_eq!(format!("{r:?}"), text),
        (Err(a), Err(b)) => assert_eq!(*a, b),
        (a, b) => panic!("decode gave {a:?}, decode_with {b:?}"),
    }
}

/// A Generic Netlink reply: the message parsed with the reply's fixed-header size, decoded.
macro_rules! genl_reply {
    ($t:ty, $b:expr) => {{
        if let Ok(m) = GenlMsg::parse($b, <$t>::HEADER_SIZE) {
            let decoded = <$t>::decode(&m);
            same_as_lent(&decoded, <$t>::decode_with(&m, |r| format!("{r:?}")));
            if let Ok(r) = decoded {
                let owned = r.attrs.to_owned();
                black_box((format!("{r:?}"), format!("{owned:?}"), r.unknown_attrs().count()));
            }
        }
    }};
}

/// A netlink-raw reply: the message split after its fixed header, decoded.
macro_rules! raw_reply {
    ($t:ty, $b:expr) => {{
        if let Ok(m) = RawMsg::parse($b, <$t>::HEADER_SIZE) {
            let decoded = <$t>::decode(&m);
            same_as_lent(&decoded, <$t>::decode_with(&m, |r| format!("{r:?}")));
            if let Ok(r) = decoded {
                let owned = r.attrs.to_owned();
                black_box((format!("{r:?}"), format!("{owned:?}"), r.header));
            }
        }
    }};
}

/// A family's notification enum, from a whole message.
macro_rules! notification {
    ($t:ty, $b:expr) => {{
        if let Ok(m) = NlMsg::parse($b) {
            if let Ok(n) = <$t>::decode(&m) {
                black_box(format!("{n:?}"));
            }
        }
    }};
}

/// The views, by byte 0 (`nlspec-fuzz`'s seed recorder writes the same numbers).
const VIEWS: u8 = 27;

fuzz_target!(|data: &[u8]| {
    let Some((&which, b)) = data.split_first() else { return };
    match which % VIEWS {
        0 => set!(nlspec_nlctrl::CtrlAttrs, b),
        1 => set!(nlspec_nlctrl::OpAttrs, b),
        2 => set!(nlspec_nlctrl::McastGroupAttrs, b),
        3 => set!(nlspec_nlctrl::PolicyAttrs, b),
        4 => set!(nlspec_nlctrl::OpPolicyAttrs, b),
        5 => genl_reply!(nlspec_nlctrl::GetfamilyReply, b),
        6 => genl_reply!(nlspec_nlctrl::GetpolicyReply, b),
        7 => notification!(nlspec_nlctrl::Notification, b),
        8 => set!(nlspec_nlkv::Entry, b),
        9 => set!(nlspec_nlkv::EntryFilter, b),
        10 => set!(nlspec_nlkv::Tag, b),
        11 => set!(nlspec_nlkv::MetaItem, b),
        12 => genl_reply!(nlspec_nlkv::SetReply, b),
        13 => genl_reply!(nlspec_nlkv::GetReply, b),
        14 => genl_reply!(nlspec_nlkv::IncrReply, b),
        15 => genl_reply!(nlspec_nlkv::UpdateFlagsReply, b),
        16 => genl_reply!(nlspec_nlkv::FillReply, b),
        17 => genl_reply!(nlspec_nlkv::ClearReply, b),
        18 => genl_reply!(nlspec_nlkv::StatsReply, b),
        19 => genl_reply!(nlspec_nlkv::PoolStatsReply, b),
        20 => notification!(nlspec_nlkv::Notification, b),
        21 => set!(nlspec_rt_link::LinkAttrs, b),
        22 => set!(nlspec_rt_link::LinkInfoAttrs, b),
        23 => set!(nlspec_rt_link::LinkinfoVethAttrs, b),
        24 => raw_reply!(nlspec_rt_link::GetlinkReply, b),
        25 => notification!(nlspec_rt_link::Notification, b),
        _ => {
            // A sub-message payload by selector value (byte 1).
            let Some((&sel, payload)) = b.split_first() else { return };
            let selector = ["bridge", "dummy", "ifb", "veth", "other"][usize::from(sel) % 5];
            if let Ok(v) = nlspec_rt_link::LinkinfoDataMsg::decode(selector, payload) {
                black_box(format!("{v:?}"));
            }
        }
    }
});
