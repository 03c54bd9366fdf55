//! Fuzz target `cli_codec`: the `nlspec` CLI's run-time codec (`nlspec_cli::dynamic`) for the
//! project's nlctrl, nlkv and rt-link specs, both ways.
//!
//! Byte 0: bits 0-1 the family (0 nlctrl, 1 nlkv, 2 rt-link, 3 nlkv), bit 2 the direction,
//! bits 3-7 the operation (its attribute set and fixed header, as the CLI uses them).
//! - Encode (bit 2 clear): the rest is `--json` text → attributes. For what encodes, the
//!   round trip must hold: the bytes decode, and the decoded JSON encodes to the same bytes.
//! - Decode (bit 2 set): the rest is a fixed header and attributes → `Value` → JSON (both
//!   renderings). If that JSON encodes again, its bytes decode to the same JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nlspec_cli::dynamic::{Decoder, Encoder};
use nlspec_model::ir::{Family, Op};
use serde_json::{Map, Value as J};

/// Size of `op`'s fixed header (the encoder writes zeros for missing members).
fn header_len(fam: &Family, op: &Op) -> usize {
    op.fixed_header.map_or(0, |st| Encoder::new(fam).struct_(st, &Map::new()).map_or(0, |b| b.len()))
}

fn json_obj(text: &str) -> Map<String, J> {
    match serde_json::from_str::<J>(text) {
        Ok(J::Object(o)) => o,
        other => panic!("the decoder's JSON is not an object: {other:?} from {text}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    let fams = nlspec_fuzz::families();
    let fam = &fams[usize::from(sel & 3) % fams.len()];
    let ops = &fam.ops.list;
    if ops.is_empty() {
        return;
    }
    let op = &ops[usize::from(sel >> 3) % ops.len()];
    let (set, fixed) = (op.attribute_set, op.fixed_header);
    let enc = Encoder::new(fam);
    let dec = Decoder::new(fam);
    if sel & 4 == 0 {
        let Ok(J::Object(obj)) = serde_json::from_slice::<J>(rest) else { return };
        let Ok((hdr, attrs)) = enc.message(set, fixed, &obj) else { return };
        let v = dec
            .message(set, &attrs, fixed, &hdr)
            .unwrap_or_else(|e| panic!("encoded bytes do not decode: {e}\ninput: {obj:?}\nattrs: {attrs:02x?}"));
        let text = v.to_json();
        let again = json_obj(&text);
        let (hdr2, attrs2) =
            enc.message(set, fixed, &again).unwrap_or_else(|e| panic!("decoded JSON does not encode: {e}\n{text}"));
        assert_eq!((&hdr2, &attrs2), (&hdr, &attrs), "round trip changed the bytes\ninput: {obj:?}\ndecoded: {text}");
    } else {
        let n = header_len(fam, op).min(rest.len());
        let (hdr, attrs) = rest.split_at(n);
        let Ok(v) = dec.message(set, attrs, fixed, hdr) else { return };
        let text = v.to_json();
        std::hint::black_box(v.to_pretty(80));
        let obj = json_obj(&text);
        let Ok((hdr2, attrs2)) = enc.message(set, fixed, &obj) else { return };
        let v2 = dec
            .message(set, &attrs2, fixed, &hdr2)
            .unwrap_or_else(|e| panic!("re-encoded bytes do not decode: {e}\nfrom: {text}"));
        assert_eq!(v2.to_json(), text, "decode → encode → decode changed the value");
    }
});
