//! Each service's records as [`ObjectEvent`]s.

use aws_lambda_events::event::s3::S3Event;
use chrono::{DateTime, Utc};

use super::{ObjectEvent, ObjectKind, ObjectOrigin};
use crate::aliyun::OssEvent;
use crate::tencent::CosEvent;

pub(super) fn from_s3(event: S3Event) -> Vec<ObjectEvent> {
    event
        .records
        .into_iter()
        .map(|record| {
            let event_name = record.event_name.clone().unwrap_or_default();
            ObjectEvent {
                bucket: record.s3.bucket.name.clone().unwrap_or_default(),
                key: record
                    .s3
                    .object
                    .key
                    .as_deref()
                    .map(form_decode)
                    .unwrap_or_default(),
                size: record.s3.object.size.and_then(|s| u64::try_from(s).ok()),
                etag: record.s3.object.e_tag.clone(),
                kind: kind_of(&event_name),
                event_name,
                time: Some(record.event_time),
                region: record.aws_region.clone(),
                origin: ObjectOrigin::S3(Box::new(record)),
            }
        })
        .collect()
}

pub(super) fn from_oss(event: OssEvent) -> Vec<ObjectEvent> {
    event
        .events
        .into_iter()
        .map(|record| ObjectEvent {
            bucket: record.oss.bucket.name.clone(),
            // OSS's documented sample shows the key as written; whether OSS
            // URL-encodes special characters in it is unconfirmed, so it is
            // passed through as sent.
            key: record.oss.object.key.clone(),
            size: record.oss.object.size,
            etag: record.oss.object.e_tag.clone(),
            kind: kind_of(&record.event_name),
            event_name: record.event_name.clone(),
            time: DateTime::parse_from_rfc3339(&record.event_time)
                .ok()
                .map(|t| t.with_timezone(&Utc)),
            region: Some(record.region.clone()),
            origin: ObjectOrigin::Oss(Box::new(record)),
        })
        .collect()
}

pub(super) fn from_cos(event: CosEvent) -> Vec<ObjectEvent> {
    event
        .records
        .into_iter()
        .map(|record| {
            let object = &record.cos.cos_object;
            let bucket = &record.cos.cos_bucket;
            ObjectEvent {
                bucket: bucket.name.clone(),
                key: cos_key(&object.key, bucket.appid.as_deref(), &bucket.name),
                size: object.size,
                etag: None,
                kind: kind_of(&record.event.event_name),
                event_name: record.event.event_name.clone(),
                time: record
                    .event
                    .event_time
                    .and_then(|secs| DateTime::from_timestamp(secs, 0)),
                region: object
                    .url
                    .as_deref()
                    .and_then(cos_region)
                    .or_else(|| bucket.region.clone()),
                origin: ObjectOrigin::Cos(Box::new(record)),
            }
        })
        .collect()
}

/// `ObjectCreated:Put` (S3), `ObjectCreated:PutObject` (OSS),
/// `cos:ObjectCreated:*`, `cos:ObjectRemove:Delete` (COS: no `d`).
fn kind_of(event_name: &str) -> ObjectKind {
    let name = event_name.strip_prefix("cos:").unwrap_or(event_name);
    if name.starts_with("ObjectCreated") {
        ObjectKind::Created
    } else if name.starts_with("ObjectRemove") {
        ObjectKind::Removed
    } else {
        ObjectKind::Other
    }
}

/// S3 sends keys form-encoded (`a+b%2Fc` for `a b/c`).
fn form_decode(key: &str) -> String {
    let bytes = key.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| key.to_owned())
}

fn hex(digit: u8) -> Option<u8> {
    (digit as char).to_digit(16).map(|d| d as u8)
}

/// COS sends `/<appid>/<bucket>/<key>`; the key is what follows.
fn cos_key(raw: &str, appid: Option<&str>, bucket: &str) -> String {
    let trimmed = raw.strip_prefix('/').unwrap_or(raw);
    if let Some(appid) = appid {
        if let Some(rest) = trimmed
            .strip_prefix(appid)
            .and_then(|r| r.strip_prefix('/'))
            .and_then(|r| r.strip_prefix(bucket))
            .and_then(|r| r.strip_prefix('/'))
        {
            return rest.to_owned();
        }
    }
    trimmed.to_owned()
}

/// `http://<bucket>-<appid>.cos.<region>.myqcloud.com/..` names the full
/// region (`ap-chengdu`), where `cosBucket.region` has a short code (`cd`).
fn cos_region(url: &str) -> Option<String> {
    let host = url.split("://").nth(1)?.split('/').next()?;
    let after = host.split_once(".cos.")?.1;
    let region = after.split('.').next()?;
    (!region.is_empty()).then(|| region.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_keys_are_form_decoded() {
        assert_eq!(form_decode("a+b%2Fc%20d.txt"), "a b/c d.txt");
        assert_eq!(form_decode("100%25"), "100%");
        assert_eq!(form_decode("bad%zz%"), "bad%zz%");
        assert_eq!(form_decode("%E4%BD%A0"), "你");
    }

    #[test]
    fn cos_keys_lose_their_appid_and_bucket_prefix() {
        assert_eq!(cos_key("/125/pics/a/b.jpg", Some("125"), "pics"), "a/b.jpg");
        assert_eq!(cos_key("/other/a.jpg", Some("125"), "pics"), "other/a.jpg");
    }

    #[test]
    fn cos_regions_come_from_the_url() {
        let url = "http://testpic-1253970026.cos.ap-chengdu.myqcloud.com/testfile";
        assert_eq!(cos_region(url).as_deref(), Some("ap-chengdu"));
        assert_eq!(cos_region("nonsense"), None);
    }

    #[test]
    fn kinds() {
        assert_eq!(kind_of("ObjectCreated:Put"), ObjectKind::Created);
        assert_eq!(
            kind_of("ObjectRemoved:DeleteMarkerCreated"),
            ObjectKind::Removed
        );
        assert_eq!(kind_of("cos:ObjectRemove:Delete"), ObjectKind::Removed);
        assert_eq!(kind_of("ObjectRestore:Post"), ObjectKind::Other);
    }
}
