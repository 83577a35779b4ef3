package codec

import "sync"

// Buffer is a reusable encode buffer. Get one from [GetBuffer], append
// frames to B, and return it with [PutBuffer] once B is no longer needed.
type Buffer struct {
	B []byte
}

// maxPooledBuffer is the capacity above which a buffer is dropped instead
// of pooled, so that one huge snapshot does not pin memory forever.
const maxPooledBuffer = 64 << 10

var bufferPool = sync.Pool{New: func() any { return &Buffer{B: make([]byte, 0, 512)} }}

// GetBuffer returns an empty buffer from the pool.
func GetBuffer() *Buffer {
	b := bufferPool.Get().(*Buffer)
	b.B = b.B[:0]
	return b
}

// PutBuffer returns b to the pool. b must not be used afterwards.
func PutBuffer(b *Buffer) {
	if b == nil || cap(b.B) > maxPooledBuffer {
		return
	}
	bufferPool.Put(b)
}
