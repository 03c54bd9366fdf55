use nlspec_rt::*;
#[test]
fn smoke() {
    let mut s = GenlSocket::new().unwrap();
    let f = s.resolve_family("nlctrl").unwrap();
    println!("{f:?}");
    let all = s.list_families().unwrap();
    println!("{}", all.len());
    let e = s.resolve_family("no-such-family").unwrap_err();
    println!("{e}\n{e:?}");
}
