package codec_test

import (
	"fmt"

	"github.com/parlorhq/parlor/codec"
)

// Encode two events into one message (a batch) and decode it again, as a
// client does with what the server sends.
func ExampleDecodeMessage() {
	data, _ := codec.MarshalData(map[string]string{"t": "hi"})

	buf := codec.GetBuffer()
	defer codec.PutBuffer(buf)
	buf.B = codec.AppendEvent(buf.B, "r1", 7, "msg", data)
	buf.B = codec.AppendEvent(buf.B, "r1", 0, "typing", nil)
	fmt.Printf("% x\n", buf.B)

	err := codec.DecodeMessage(buf.B, 64, func(f *codec.Frame) error {
		var payload map[string]string
		if err := codec.UnmarshalData(f.Data, &payload); err != nil {
			return err
		}
		fmt.Println(f.Type, f.Room, f.Seq, f.Event, payload)
		return nil
	})
	fmt.Println("err:", err)
	// Output:
	// 95 08 a2 72 31 07 a3 6d 73 67 81 a1 74 a2 68 69 95 08 a2 72 31 00 a6 74 79 70 69 6e 67 c0
	// event r1 7 msg map[t:hi]
	// event r1 0 typing map[]
	// err: <nil>
}

// AppendEvent writes the frame [8, room, seq, event, data]. Decoding
// rejects malformed input, here an array header claiming 2^31 elements,
// with a typed error whose code a reply can carry.
func ExampleAppendEvent() {
	b := codec.AppendEvent(nil, "r1", 7, "msg", []byte{0x81, 0xa1, 't', 0xa2, 'h', 'i'})
	fmt.Printf("%x\n", b)

	err := codec.DecodeMessage([]byte{0xdd, 0x7f, 0xff, 0xff, 0xff}, 64, func(*codec.Frame) error { return nil })
	fmt.Println(codec.AsError(err).Code)
	// Output:
	// 9508a2723107a36d736781a174a26869
	// bad_request
}
