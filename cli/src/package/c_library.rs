//! Whether the `light-runtime` put in a layer can start on the platform's
//! images: a glibc build asks for symbol versions (`GLIBC_2.34`) that an
//! older image lacks, and then fails at the function's first start with
//! only a loader message in the logs. The packager warns at packaging time.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use runtime_engine::Platform;

use super::layout::{Layout, Mode};

/// How much of the file is read: the dynamic string table that names the
/// versions sits in the first loaded segment, right after the headers,
/// however large the binary (debug sections come last).
const HEAD: u64 = 4 << 20;

/// The newest glibc version `bytes` asks for, as `(major, minor)`; `None`
/// for a static or musl build.
pub(crate) fn newest_glibc(bytes: &[u8]) -> Option<(u32, u32)> {
    const TAG: &[u8] = b"GLIBC_";
    let mut newest = None;
    let mut rest = bytes;
    while let Some(at) = rest.windows(TAG.len()).position(|w| w == TAG) {
        rest = &rest[at + TAG.len()..];
        let digits = rest
            .iter()
            .take_while(|b| b.is_ascii_digit() || **b == b'.')
            .count();
        let version = std::str::from_utf8(&rest[..digits]).unwrap_or_default();
        let mut parts = version.split('.').map(str::parse::<u32>);
        if let (Some(Ok(major)), Some(Ok(minor))) = (parts.next(), parts.next()) {
            newest = newest.max(Some((major, minor)));
        }
    }
    newest
}

/// The oldest glibc among the images a layout's scripts are meant for, and
/// which image that is.
fn oldest_image(layout: &Layout) -> (u32, u32, &'static str) {
    match (layout.platform, layout.mode) {
        // The exec wrapper serves managed runtimes, some still on Amazon
        // Linux 2; web mode's bootstrap is for provided.al2023.
        (Platform::AwsLambda, Mode::Web) => (2, 34, "provided.al2023 images"),
        (Platform::AwsLambda, _) => (2, 26, "Lambda's Amazon Linux 2 runtimes"),
        // FC runs custom runtimes on Debian 10 and older images (reference
        // 2.10, `FC_VER_ID`); Debian 10's glibc is the floor checked, which
        // images older than it still run is unconfirmed.
        (Platform::AliyunFc, _) => (2, 28, "FC's Debian 10 custom-runtime images"),
        // Reference 3.2: the SCF custom runtime runs on CentOS 7.6.
        _ => (2, 17, "SCF's CentOS 7 images"),
    }
}

/// A warning when `runtime` needs a newer glibc than the oldest image
/// `layout` is meant for.
pub(crate) fn check(runtime: &Path, layout: &Layout) -> Option<String> {
    let mut head = Vec::new();
    File::open(runtime)
        .and_then(|file| file.take(HEAD).read_to_end(&mut head))
        .ok()?;
    let (major, minor) = newest_glibc(&head)?;
    let (image_major, image_minor, image) = oldest_image(layout);
    ((major, minor) > (image_major, image_minor)).then(|| {
        format!(
            "{} needs glibc {major}.{minor}; {image} have {image_major}.{image_minor}, so it \
             will not start on them. Build it against that glibc (on such an image, or \
             `cargo zigbuild --target x86_64-unknown-linux-gnu.{image_major}.{image_minor}`) \
             and pass it with --runtime; a static musl build cannot load plugins",
            runtime.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_version_asked_for_is_found() {
        let table = b"\0libc.so.6\0GLIBC_2.2.5\0GLIBC_2.34\0GLIBC_2.17\0GLIBC_PRIVATE\0";
        assert_eq!(newest_glibc(table), Some((2, 34)));
        assert_eq!(newest_glibc(b"\x7fELF static musl build"), None);
    }

    #[test]
    fn a_build_too_new_for_the_image_is_named_with_both_versions() {
        let dir = tempfile::tempdir().unwrap();
        let runtime = dir.path().join("light-runtime");
        std::fs::write(&runtime, b"\x7fELF\0GLIBC_2.2.5\0GLIBC_2.34\0").unwrap();
        let scf = Layout::of(Platform::TencentScf, Mode::Proxy).unwrap();
        let warning = check(&runtime, &scf).expect("2.34 is newer than CentOS 7's");
        assert!(
            warning.contains("needs glibc 2.34; SCF's CentOS 7 images have 2.17"),
            "{warning}"
        );
        let al2023 = Layout::of(Platform::AwsLambda, Mode::Web).unwrap();
        assert_eq!(check(&runtime, &al2023), None);
    }
}
