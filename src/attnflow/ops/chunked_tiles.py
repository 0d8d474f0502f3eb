"""Tiling of the chunked attention kernel: blocks, loop ranges, tile masks.

The chunked kernel cuts queries into blocks of `block_q` rows and keys into
blocks of `block_k` columns, so the [Tq, Tk] score matrix becomes a grid of
[block_q, block_k] tiles. Sequences are zero-padded to whole blocks so that
every tile has a static shape (which `jit_compile=True` requires); padded keys
are masked out and padded query rows are dropped at the end.

A tile is "clean" when every query of its block may attend to every key of
its block (no user mask, no padded key, not crossing the causal diagonal):
clean tiles skip masking altogether. Tiles entirely above the causal diagonal
are not visited at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import tensorflow as tf


@dataclass(frozen=True)
class Tiling:
    """Block sizes and loop ranges of one chunked attention call.

    Attributes:
        q_len, k_len: real lengths Tq and Tk (ints or scalar int32 tensors).
        block_q, block_k: static block sizes.
        num_q_blocks, num_k_blocks: ceil(Tq / block_q), ceil(Tk / block_k).
        is_causal: bottom-right aligned causal masking (query i sees keys
            0 .. Tk - Tq + i).
        has_mask: a user mask is applied to every tile (no tile is clean).
    """

    q_len: object
    k_len: object
    block_q: int
    block_k: int
    num_q_blocks: object
    num_k_blocks: object
    is_causal: bool
    has_mask: bool

    @classmethod
    def create(cls, query, key, block_q: int, block_k: int, is_causal: bool, has_mask: bool):
        q_len, k_len = _length(query), _length(key)
        block_q, block_k = _fit(block_q, query.shape[2]), _fit(block_k, key.shape[2])
        return cls(q_len, k_len, block_q, block_k, -(-q_len // block_q), -(-k_len // block_k),
                   is_causal, has_mask)

    @property
    def offset(self):
        """Tk - Tq: query i sits at key position i + offset."""
        return self.k_len - self.q_len

    @property
    def clean_key_blocks(self):
        """Key blocks that hold no padded key."""
        return self.k_len // self.block_k

    def key_ranges(self, i):
        """Key blocks seen by query block i: clean in [0, a), masked in [a, b)."""
        end = self.num_k_blocks
        clean = 0 if self.has_mask else self.clean_key_blocks
        if self.is_causal:
            last_row = tf.minimum((i + 1) * self.block_q, self.q_len) - 1
            end = _clip((last_row + self.offset) // self.block_k + 1, 0, end)
            clean = tf.minimum(clean, (i * self.block_q + self.offset + 1) // self.block_k)
        return _clip(clean, 0, end), end

    def query_ranges(self, j):
        """Query blocks that see key block j: masked in [a, b), clean in [b, nq)."""
        start, clean_start = 0, self.num_q_blocks
        if self.is_causal:
            start = _clip((j * self.block_k - self.offset) // self.block_q, 0, self.num_q_blocks)
            # Tile (i, j) is clean once row i * block_q sees key (j + 1) * block_k - 1.
            clean_start = -(-((j + 1) * self.block_k - 1 - self.offset) // self.block_q)
        if self.has_mask:
            clean_start = self.num_q_blocks
        else:
            has_padding = (j + 1) * self.block_k > self.k_len
            clean_start = tf.where(has_padding, self.num_q_blocks, clean_start)
        return start, _clip(clean_start, start, self.num_q_blocks)

    @property
    def needs_position_mask(self) -> bool:
        """Whether some tile holds padded keys or crosses the causal diagonal."""
        padded = not isinstance(self.k_len, int) or self.k_len % self.block_k != 0
        return self.is_causal or padded

    def position_mask(self, i, j):
        """[block_q or 1, block_k] bool: keys that exist and respect causality."""
        cols = j * self.block_k + tf.range(self.block_k)[None, :]  # [1, bk]
        allowed = cols < self.k_len  # [1, bk]
        if self.is_causal:
            rows = i * self.block_q + tf.range(self.block_q)[:, None]  # [bq, 1]
            allowed = tf.logical_and(allowed, cols <= rows + self.offset)  # [bq, bk]
        return allowed

    def to_blocks(self, tensor, block: int, num_blocks):
        """[B, H, T, D] -> [n, B, H, block, D], zero-padded to whole blocks."""
        batch, heads, length, depth = _dims(tensor)
        tensor = tf.pad(tensor, [[0, 0], [0, 0], [0, num_blocks * block - length], [0, 0]])
        blocks = tf.reshape(tensor, [batch, heads, num_blocks, block, depth])  # [B, H, n, b, D]
        return tf.transpose(blocks, [2, 0, 1, 3, 4])  # [n, B, H, b, D]

    @staticmethod
    def from_blocks(blocks, length):
        """[n, B, H, block, D] -> [B, H, length, D] (padding dropped)."""
        num_blocks, batch, heads, block, depth = _dims(blocks)
        blocks = tf.transpose(blocks, [1, 2, 0, 3, 4])  # [B, H, n, b, D]
        joined = tf.reshape(blocks, [batch, heads, num_blocks * block, depth])  # [B, H, n*b, D]
        return joined[:, :, :length]  # [B, H, T, D]


class TileOperand:
    """A mask or bias broadcastable to [B, H, Tq, Tk], sliced tile by tile.

    The tensor is brought to rank 4; its query and key axes are either 1
    (broadcast, never sliced) or padded to whole blocks with `pad_value`.
    """

    def __init__(self, tensor, tiling: Tiling, pad_value):
        tensor = tf.convert_to_tensor(tensor)
        for _ in range(4 - tensor.shape.rank):
            tensor = tensor[None]  # [1, ..., Tq?, Tk?] up to rank 4
        self.broadcast_q = tensor.shape[2] == 1
        self.broadcast_k = tensor.shape[3] == 1
        self.tiling = tiling
        padded_q = tiling.num_q_blocks * tiling.block_q
        padded_k = tiling.num_k_blocks * tiling.block_k
        shape = _dims(tensor)
        target = [shape[0], shape[1], 1 if self.broadcast_q else tiling.q_len,
                  1 if self.broadcast_k else tiling.k_len]
        tensor = tf.broadcast_to(tensor, target)
        pads = [[0, 0], [0, 0], [0, 0 if self.broadcast_q else padded_q - tiling.q_len],
                [0, 0 if self.broadcast_k else padded_k - tiling.k_len]]
        self.tensor = tf.pad(tensor, pads, constant_values=pad_value)  # [b?, h?, Tq_pad?, Tk_pad?]

    @property
    def tile_shape(self):
        return (1 if self.broadcast_q else self.tiling.block_q,
                1 if self.broadcast_k else self.tiling.block_k)

    def tile(self, i, j):
        """The [b?, h?, block_q or 1, block_k or 1] slice for tile (i, j)."""
        rows, cols = self.tile_shape
        begin = [0, 0, 0 if self.broadcast_q else i * rows, 0 if self.broadcast_k else j * cols]
        batch, heads = (-1 if size is None else size for size in self.tensor.shape[:2])
        return tf.slice(self.tensor, begin, [batch, heads, rows, cols])

    def reduce_to_tile(self, grad):
        """Sums a [B, H, bq, bk] tile gradient over this operand's broadcast axes."""
        axes = [axis for axis, size in enumerate(self.tensor.shape[:2]) if size == 1]
        rows, cols = self.tile_shape
        if rows == 1:
            axes.append(2)
        if cols == 1:
            axes.append(3)
        return tf.reduce_sum(grad, axis=axes, keepdims=True) if axes else grad


def _dims(tensor):
    """The shape as a list: static sizes where known, scalar tensors elsewhere."""
    dynamic = tf.shape(tensor)
    return [size if size is not None else dynamic[axis] for axis, size in enumerate(tensor.shape)]


def _length(tensor):
    static = tensor.shape[2]
    return static if static is not None else tf.shape(tensor)[2]


def _fit(block: int, static_length) -> int:
    """Shrinks a block to the (static) sequence length, so short inputs pad little."""
    if static_length is None or static_length == 0:
        return block
    return min(block, static_length)


def _clip(value, low, high):
    return tf.minimum(tf.maximum(value, low), high)
