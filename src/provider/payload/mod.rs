//! Payloads that stream: the bytes a workload writes are generated chunk by chunk from a seed and
//! hashed as they go, and what comes back is hashed chunk by chunk, so memory stays flat however
//! large a marker or a storage file is (a 1 GiB transfer holds a few MiB at a time).
//!
//! A [`Payload`] is only a description (seed and length); every [`Payload::chunks`] starts the same
//! bytes over from the first, which is what lets a retried upload send its body again: a streamed
//! body cannot be replayed, but it can be regenerated.

mod body;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha2::{Digest as _, Sha256};

pub use body::{ChunkBody, ChunkSender};

use super::ProviderResult;

/// Bytes generated, sent or hashed at a time: large enough that per-chunk overhead is noise, small
/// enough that a handful in flight cost a few MiB.
pub const CHUNK: usize = 1 << 20;

/// Reproducible pseudo-random contents: the same seed and length give the same bytes, and a shorter
/// payload of the same seed is a prefix of a longer one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Payload {
    seed: u64,
    len: u64,
    /// A bit to flip (byte offset, bit), for the self-test's damaged copy of a marker.
    flip: Option<(u64, u8)>,
}

impl Payload {
    pub fn new(seed: u64, len: u64) -> Self {
        Self { seed, len, flip: None }
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first `len` bytes of this payload.
    pub fn truncated(self, len: u64) -> Self {
        Self {
            len: len.min(self.len),
            ..self
        }
    }

    /// The same bytes with one bit flipped (a `bit` above 7 wraps).
    pub fn with_bit_flipped(self, byte: u64, bit: u8) -> Self {
        Self {
            flip: Some((byte, bit % 8)),
            ..self
        }
    }

    /// The bytes from the first, one [`CHUNK`] at a time, hashed as they are produced.
    pub fn chunks(&self) -> Chunks {
        Chunks {
            rng: ChaCha8Rng::seed_from_u64(self.seed),
            offset: 0,
            payload: *self,
            hasher: Hasher::default(),
        }
    }

    /// The whole payload in memory, for small files and for providers that can only carry a whole
    /// file (the command plugin's JSON lines).
    pub fn to_bytes(&self) -> (Bytes, Digest) {
        let mut whole = BytesMut::with_capacity(usize::try_from(self.len).unwrap_or(0));
        let mut chunks = self.chunks();
        for chunk in chunks.by_ref() {
            whole.extend_from_slice(&chunk);
        }
        (whole.freeze(), chunks.digest())
    }
}

/// What a transfer carried: its length and SHA-256 (lowercase hex).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digest {
    pub len: u64,
    pub sha256: String,
}

impl Digest {
    pub fn of(data: &[u8]) -> Self {
        let mut hasher = Hasher::default();
        hasher.update(data);
        hasher.finish()
    }
}

/// SHA-256 and length of bytes seen a chunk at a time.
#[derive(Clone, Default)]
pub struct Hasher {
    sha: Sha256,
    len: u64,
}

impl Hasher {
    pub fn update(&mut self, data: &[u8]) {
        self.sha.update(data);
        self.len += data.len() as u64;
    }

    pub fn finish(self) -> Digest {
        let sha256 = self.sha.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Digest { len: self.len, sha256 }
    }
}

/// The chunks of one pass over a payload.
pub struct Chunks {
    rng: ChaCha8Rng,
    offset: u64,
    payload: Payload,
    hasher: Hasher,
}

impl Chunks {
    /// The digest of every chunk produced so far (the whole payload once the iterator is spent).
    pub fn digest(self) -> Digest {
        self.hasher.finish()
    }
}

impl Iterator for Chunks {
    type Item = Bytes;

    fn next(&mut self) -> Option<Bytes> {
        let left = self.payload.len - self.offset;
        if left == 0 {
            return None;
        }
        let n = usize::try_from(left).map_or(CHUNK, |left| left.min(CHUNK));
        let mut chunk = vec![0u8; n];
        // Whole chunks are multiples of 4 bytes, so chunked generation yields the very bytes one
        // `fill_bytes` of the whole length would.
        self.rng.fill_bytes(&mut chunk);
        if let Some((byte, bit)) = self.payload.flip {
            if (self.offset..self.offset + n as u64).contains(&byte) {
                chunk[(byte - self.offset) as usize] ^= 1 << bit;
            }
        }
        self.offset += n as u64;
        self.hasher.update(&chunk);
        Some(Bytes::from(chunk))
    }
}

/// Where a streamed write gets its bytes from: a payload being generated, a request body being
/// received. `None` once everything was given.
#[async_trait]
pub trait ChunkSource: Send {
    async fn next_chunk(&mut self) -> ProviderResult<Option<Bytes>>;
}

/// A buffer already in memory, as one chunk.
#[async_trait]
impl ChunkSource for std::option::IntoIter<Bytes> {
    async fn next_chunk(&mut self) -> ProviderResult<Option<Bytes>> {
        Ok(self.next())
    }
}

#[async_trait]
impl ChunkSource for Chunks {
    async fn next_chunk(&mut self) -> ProviderResult<Option<Bytes>> {
        Ok(self.next())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(seed: u64, len: usize) -> Vec<u8> {
        let mut data = vec![0u8; len];
        ChaCha8Rng::seed_from_u64(seed).fill_bytes(&mut data);
        data
    }

    #[test]
    fn chunks_are_the_bytes_of_one_fill_and_hash_as_they_go() {
        let len = 2 * CHUNK + 12_345;
        let payload = Payload::new(7, len as u64);
        let mut chunks = payload.chunks();
        let sizes: Vec<usize> = chunks.by_ref().map(|c| c.len()).collect();
        assert_eq!(sizes, vec![CHUNK, CHUNK, 12_345]);
        let expected = whole(7, len);
        assert_eq!(chunks.digest(), Digest::of(&expected));
        let (bytes, digest) = payload.to_bytes();
        assert_eq!((bytes.as_ref(), digest), (expected.as_slice(), Digest::of(&expected)));
        assert_eq!(Digest::of(&expected).len, len as u64);
    }

    #[test]
    fn every_pass_starts_over_and_seeds_differ() {
        let payload = Payload::new(3, 5000);
        assert_eq!(payload.to_bytes(), payload.to_bytes());
        assert_ne!(payload.to_bytes().1, Payload::new(4, 5000).to_bytes().1);
        assert_eq!(Payload::new(3, 0).to_bytes().1, Digest::of(b""));
    }

    #[test]
    fn a_damaged_copy_differs_where_it_says() {
        let payload = Payload::new(9, (CHUNK + 100) as u64);
        let (original, _) = payload.to_bytes();
        let (flipped, _) = payload.with_bit_flipped(CHUNK as u64 + 3, 2).to_bytes();
        let diff: Vec<usize> = (0..original.len()).filter(|&i| original[i] != flipped[i]).collect();
        assert_eq!(diff, vec![CHUNK + 3]);
        assert_eq!(flipped[CHUNK + 3] ^ original[CHUNK + 3], 1 << 2);
        let (half, _) = payload.truncated(1001).to_bytes();
        assert_eq!(half.as_ref(), &original[..1001]);
    }
}
