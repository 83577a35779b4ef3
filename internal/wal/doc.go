// Package wal is the write-ahead log file of the bbolt stores (chat and
// games): a preallocated file of CRC-checked records used in two halves,
// written in batches that one fdatasync makes durable, and scanned at
// Open for the records the bbolt file does not have yet.
//
// The file is preallocated with zeros to its size, so that writing a
// record into it changes no file metadata and one fdatasync makes a batch
// durable. It is used in two halves, in turn: a writer fills one with a
// generation's records, then starts the next generation at the top of the
// other, once the bbolt file has applied what that half held. Records are
// framed as
//
//	length  uint32  length of payload
//	crc     uint32  CRC-32C of generation ‖ payload
//	gen     uint64  the log's generation
//	payload         the store's own encoding of one write
//
// all little-endian, one after the other from the top of a half. Each
// time a half is used again it takes a new generation, so the records of
// an older generation left further on are not read as this one's: a scan
// stops at the first record that is torn, fails its CRC, belongs to
// another generation or would cross the end of the half.
//
// The package knows nothing of the payloads: a store frames its own
// writes, records in its bbolt file how far it has applied the log
// (generation and offset, in the same commit as the writes), and replays
// what Unapplied returns.
package wal
