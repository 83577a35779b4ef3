package codec

// Frame writers. Each appends one complete frame to dst and returns the
// extended slice. Raw arguments (params, snapshot, data) must be encoded
// msgpack values or empty, which encodes as nil. None of these allocate
// when dst has room.

// AppendConnect appends a connect frame. resumeToken is the token of the
// connection this one replaces, or "" for a new session.
func AppendConnect(dst []byte, ref uint64, client, resumeToken string) []byte {
	dst = append(dst, 0x94, byte(TypeConnect))
	dst = AppendUint(dst, ref)
	dst = AppendString(dst, client)
	return AppendString(dst, resumeToken)
}

// AppendConnectFeatures appends a connect frame that announces features,
// a set of Feature bits. With features 0 it appends what AppendConnect
// does.
func AppendConnectFeatures(dst []byte, ref uint64, client, resumeToken string, features uint64) []byte {
	if features == 0 {
		return AppendConnect(dst, ref, client, resumeToken)
	}
	dst = append(dst, 0x95, byte(TypeConnect))
	dst = AppendUint(dst, ref)
	dst = AppendString(dst, client)
	dst = AppendString(dst, resumeToken)
	return AppendUint(dst, features)
}

// AppendConnected appends a connected frame.
func AppendConnected(dst []byte, ref uint64, session, user string, heartbeatMS uint32, resumeToken string, resumed bool) []byte {
	dst = append(dst, 0x97, byte(TypeConnected))
	dst = AppendUint(dst, ref)
	dst = AppendString(dst, session)
	dst = AppendString(dst, user)
	dst = AppendUint(dst, uint64(heartbeatMS))
	dst = AppendString(dst, resumeToken)
	return AppendBool(dst, resumed)
}

// AppendJoin appends a join frame. epoch and since are the room epoch and
// the last seq the client saw when it resumes; "" and 0 for a fresh join.
func AppendJoin(dst []byte, ref uint64, kind string, params []byte, epoch string, since uint64) []byte {
	dst = append(dst, 0x96, byte(TypeJoin))
	dst = AppendUint(dst, ref)
	dst = AppendString(dst, kind)
	dst = AppendRaw(dst, params)
	dst = AppendString(dst, epoch)
	return AppendUint(dst, since)
}

// AppendJoined appends a joined frame.
func AppendJoined(dst []byte, ref uint64, room string, seq uint64, snapshot []byte, epoch string, recovered bool) []byte {
	dst = append(dst, 0x97, byte(TypeJoined))
	dst = AppendUint(dst, ref)
	dst = AppendString(dst, room)
	dst = AppendUint(dst, seq)
	dst = AppendRaw(dst, snapshot)
	dst = AppendString(dst, epoch)
	return AppendBool(dst, recovered)
}

// AppendLeave appends a leave frame.
func AppendLeave(dst []byte, ref uint64, room string) []byte {
	dst = append(dst, 0x93, byte(TypeLeave))
	dst = AppendUint(dst, ref)
	return AppendString(dst, room)
}

// AppendSend appends a send frame. An empty clientMsgID encodes as "".
func AppendSend(dst []byte, ref uint64, room, event string, data []byte, clientMsgID string) []byte {
	dst = append(dst, 0x96, byte(TypeSend))
	dst = AppendUint(dst, ref)
	dst = AppendString(dst, room)
	dst = AppendString(dst, event)
	dst = AppendRaw(dst, data)
	return AppendString(dst, clientMsgID)
}

// AppendReply appends a reply frame. Pass an empty code for success.
func AppendReply(dst []byte, ref uint64, code Code, message string, data []byte) []byte {
	dst = append(dst, 0x95, byte(TypeReply))
	dst = AppendUint(dst, ref)
	dst = AppendString(dst, string(code))
	dst = AppendString(dst, message)
	return AppendRaw(dst, data)
}

// AppendEvent appends an event frame.
func AppendEvent(dst []byte, room string, seq uint64, event string, data []byte) []byte {
	dst = append(dst, 0x95, byte(TypeEvent))
	dst = AppendString(dst, room)
	dst = AppendUint(dst, seq)
	dst = AppendString(dst, event)
	return AppendRaw(dst, data)
}

// AppendError appends a connection-level error frame.
func AppendError(dst []byte, code Code, message string) []byte {
	dst = append(dst, 0x93, byte(TypeError))
	dst = AppendString(dst, string(code))
	return AppendString(dst, message)
}

// AppendLeft appends a left frame.
func AppendLeft(dst []byte, room, reason string) []byte {
	dst = append(dst, 0x93, byte(TypeLeft))
	dst = AppendString(dst, room)
	return AppendString(dst, reason)
}

// AppendFrame appends f using the writer for its type. It returns dst
// unchanged for an unknown type.
func AppendFrame(dst []byte, f *Frame) []byte {
	switch f.Type {
	case TypeConnect:
		return AppendConnectFeatures(dst, f.Ref, f.Client, f.Token, f.Features)
	case TypeConnected:
		return AppendConnected(dst, f.Ref, f.Session, f.User, f.HeartbeatMS, f.Token, f.Resumed)
	case TypeJoin:
		return AppendJoin(dst, f.Ref, f.Kind, f.Params, f.Epoch, f.Seq)
	case TypeJoined:
		return AppendJoined(dst, f.Ref, f.Room, f.Seq, f.Snapshot, f.Epoch, f.Recovered)
	case TypeLeave:
		return AppendLeave(dst, f.Ref, f.Room)
	case TypeSend:
		return AppendSend(dst, f.Ref, f.Room, f.Event, f.Data, f.ClientMsgID)
	case TypeReply:
		return AppendReply(dst, f.Ref, f.Code, f.Message, f.Data)
	case TypeEvent:
		return AppendEvent(dst, f.Room, f.Seq, f.Event, f.Data)
	case TypeError:
		return AppendError(dst, f.Code, f.Message)
	case TypeLeft:
		return AppendLeft(dst, f.Room, f.Reason)
	}
	return dst
}
