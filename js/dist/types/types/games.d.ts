/** The kinds of the built-in games' modules. */
export declare const GameKinds: {
    readonly TicTacToe: "games.tictactoe";
    readonly Chess: "games.chess";
};
/** Match statuses in MatchSnapshot.status. */
export declare const MatchStatus: {
    readonly Waiting: "waiting";
    readonly Playing: "playing";
    readonly Over: "over";
};
/** Error codes of the game modules, beyond the protocol's. */
export declare const GameCodes: {
    readonly NotYourTurn: "not_your_turn";
    readonly IllegalMove: "illegal_move";
    readonly GameOver: "game_over";
    readonly NotPlayer: "not_player";
};
/**
 * JoinParams are the join parameters of a game module (a msgpack map with
 * these snake_case keys). One of three forms:
 *
 *   - Challenge: {opponent, nonce} or {seats, nonce}. The room is the
 *     match of these players with this nonce (see RoomID); both players
 *     join with the same nonce, which the challenger makes up and sends to
 *     the opponent through the host's app. With seats the seating is
 *     fixed; with opponent, the first of the two to join takes seat 0.
 *     Games of more than two seats must use seats.
 *     A challenged player declines with the same parameters and
 *     decline: true: the match ends with reason "declined" and the join's
 *     reply is its final snapshot; leave the room after it.
 *   - Watch or resume: {room}, optionally with spectate: true. It joins a
 *     running match by id: its players take their seats, anyone else
 *     watches. It never creates a match: a room that is not running is
 *     not_found.
 *   - Quick match: {quick: true}, when Config.QuickMatch is on. The
 *     joiner waits in the module's queue room until paired, then receives
 *     a "matched" event whose payload is the challenge to join next.
 *
 * A key not listed here is refused with bad_request.
 */
export interface MatchParams {
    /** Opponent is the user challenged, for two-seat games. */
    opponent?: string;
    /** Seats lists every player in seat order, the joiner included. */
    seats?: string[];
    /**
     * Nonce tells apart matches between the same players: 1 to
     * MaxNonceLen bytes, random for a new challenge.
     */
    nonce?: string;
    /** Room is the id of a running match to watch or resume. */
    room?: string;
    /**
     * Spectate marks a watch join; it is implied by Room and documents
     * intent. A seated player joining by id takes their seat regardless.
     */
    spectate?: boolean;
    /** Quick asks for a quick match. */
    quick?: boolean;
    /**
     * Decline declines the challenge of these players with this nonce,
     * instead of accepting it.
     */
    decline?: boolean;
    /**
     * Seat is the joiner's seat in Seats, as a quick match's matched
     * event names it, so that its payload joins the match as it is. When
     * given, it must be the joiner's seat.
     */
    seat?: number;
}
/** Snapshot is what a member gets when joining a match room. */
export interface MatchSnapshot<V = unknown> {
    /** Room is the match's room id. */
    room: string;
    /** Game is the game's name. */
    game: string;
    /** Players lists the players by seat. */
    players: string[] | null;
    /** Seat is the joiner's seat, or -1 for a spectator. */
    seat: number;
    /** Status is StatusWaiting, StatusPlaying or StatusOver. */
    status: string;
    /** Turn is the seat to move, or -1 unless the match is playing. */
    turn: number;
    /** Ply is the number of moves played. */
    ply: number;
    /** View is the position as the joiner may see it (State.View). */
    view: V;
    /**
     * Clocks is each seat's remaining time in milliseconds, counted down
     * to the moment of the snapshot for the seat to move; nil if untimed.
     */
    clocks?: number[];
    /** BaseMS and IncrementMS are the time control; zero if untimed. */
    base_ms?: number;
    /** IncrementMS is the time control's increment in milliseconds. */
    increment_ms?: number;
    /** Present says, by seat, whether the player is connected. */
    present: boolean[] | null;
    /** DrawOffer is the seat whose draw offer is pending, or -1. */
    draw_offer: number;
    /** Result is the outcome once the match is over. */
    result?: MatchResult;
    /** Rematch is the next match once every seat asked for a rematch. */
    rematch?: Rematch;
    /** LogLen is the length of the move log (EventLog fetches it). */
    log_len: number;
    /** Spectators is the number of spectators. */
    spectators: number;
}
/** QueueSnapshot is what a joiner of the quick-match queue gets. */
export interface QueueSnapshot {
    /** Waiting is the number of players waiting, the joiner included. */
    waiting: number;
}
/** Result is how a game ended. */
export interface MatchResult {
    /** Winner is the winning seat, or -1 for a draw. */
    winner: number;
    /**
     * Reason is a stable word such as "line", "checkmate", "stalemate",
     * "resignation", "timeout", "agreement", "forfeit", "threefold",
     * "fifty_move", "insufficient_material", "fivefold", "seventy_five_move",
     * "board_full".
     */
    reason: string;
}
/** Started is the payload of EventStarted. */
export interface Started {
    /** Players lists the players by seat. */
    players: string[] | null;
    /** Turn is the seat to move. */
    turn: number;
    /** Clocks is each seat's time in milliseconds; nil if untimed. */
    clocks?: number[];
}
/** Moved is the payload of EventMoved. */
export interface Moved<M = unknown> {
    /** Seat is the seat that moved. */
    seat: number;
    /**
     * Move is the move as the player sent it; nil in games whose moves
     * are private (Hidden).
     */
    move: M;
    /** Ply is the number of moves played, this one included. */
    ply: number;
    /** Turn is the seat to move next, or -1 if the move ended the game. */
    turn: number;
    /**
     * Clocks is each seat's remaining time in milliseconds after the
     * move (increment included); nil if untimed.
     */
    clocks?: number[];
}
/** StateUpdate is the payload of EventState. */
export interface StateUpdate<V = unknown> {
    /** Ply is the number of moves played. */
    ply: number;
    /** Turn is the seat to move, or -1 if the game is over. */
    turn: number;
    /** View is the position as the recipient may see it (State.View). */
    view: V;
}
/** GameOver is the payload of EventGameOver. */
export interface GameOver {
    /** Winner is the winning seat, or -1 for a draw or an aborted match. */
    winner: number;
    /** Reason says how the match ended (see Result.Reason). */
    reason: string;
    /** Ply is the number of moves played. */
    ply: number;
    /** Clocks is each seat's remaining time in milliseconds; nil if untimed. */
    clocks?: number[];
}
/** SeatEvent is the payload of draw and rematch offers and declines. */
export interface SeatEvent {
    /** Seat is the seat that acted. */
    seat: number;
}
/** Presence is the payload of EventPlayerLeft and EventPlayerBack. */
export interface SeatPresence {
    /** Seat is the player's seat. */
    seat: number;
    /** User is the player. */
    user: string;
    /**
     * GraceMS is how long the seat is held, in milliseconds; 0 in
     * player_back, and -1 when seats are held without limit.
     */
    grace_ms: number;
}
/**
 * Rematch is the payload of EventRematchReady: the JoinParams of the new
 * match, with the seats rotated (swapped for two players).
 */
export interface Rematch {
    /** Seats lists the players of the rematch by seat. */
    seats: string[] | null;
    /** Nonce is the rematch's nonce. */
    nonce: string;
}
/**
 * Matched is the payload of EventMatched: the JoinParams of the match the
 * queue paired the recipient into.
 */
export interface Matched {
    /** Seats lists the players by seat. */
    seats: string[] | null;
    /** Nonce is the match's nonce. */
    nonce: string;
    /** Seat is the recipient's seat. */
    seat: number;
    /** Opponent is the other player, in two-seat games. */
    opponent?: string;
}
/** MoveReply is the reply to EventMove. */
export interface MoveReply {
    /** Ply is the number of moves played, this one included. */
    ply: number;
}
/**
 * LogRequest is the payload of EventLog; any other key is refused with
 * bad_request.
 */
export interface LogRequest {
    /** From is the first ply to return (0 for the whole log). */
    from: number;
}
/** LogReply is the reply to EventLog. */
export interface LogReply<M = unknown> {
    /** Moves are the log's entries from LogRequest.From on. */
    moves: LoggedMove<M>[] | null;
}
/** LoggedMove is one entry of a match's move log. */
export interface LoggedMove<M = unknown> {
    /** Seat is the seat that moved. */
    seat: number;
    /** Move is the move as the player sent it, passed to State.Apply. */
    move: M;
    /** AtMS is At in Unix milliseconds, for clients. */
    at: number;
}
/** Move is the payload of a move event. */
export interface TicTacToeMove {
    /** Cell is the cell to mark, 0 to 8. */
    cell: number | null;
}
/** View is what every member sees: the game has no hidden information. */
export interface TicTacToeView {
    /** Board is nine cells, row by row: 'X', 'O' or '.'. */
    board: string;
    /** Turn is the seat to move, or -1 once the game is over. */
    turn: number;
    /** Legal lists the free cells while the game goes on. */
    legal: number[] | null;
    /** Line is the winning line's cells, once someone has one. */
    line?: number[];
}
/**
 * Move is the payload of a move, a msgpack map. Give exactly one of UCI and
 * SAN to move, Claim alone to claim a draw in the current position, or a
 * move and Claim together to make the move and claim a draw in the position
 * it leads to (as the rules of chess allow). Claims are made by the player
 * to move.
 */
export interface ChessMove {
    /**
     * UCI is a move in UCI notation: from and to squares and, for a
     * promotion, the piece: "e2e4", "e1g1" (castling), "e7e8q".
     */
    uci?: string;
    /**
     * SAN is a move in standard algebraic notation: "Nf3", "exd5",
     * "O-O", "e8=Q". Check and annotation suffixes are ignored.
     */
    san?: string;
    /** Claim is ClaimThreefold or ClaimFiftyMove. */
    claim?: string;
}
/**
 * View is what every seat and spectator sees: chess has no hidden
 * information.
 */
export interface ChessView {
    /** FEN is the position in Forsyth-Edwards Notation. */
    fen: string;
    /** Turn is the side to move, "w" or "b" (also after the game ended). */
    turn: string;
    /** LastMove is the move that led to the position, nil at the start. */
    last_move: ChessPlayed | null;
    /** Check is true when the side to move is in check. */
    check: boolean;
    /**
     * Legal lists the legal moves in UCI notation, sorted; empty once the
     * game is over. Any of them is a valid Move{UCI: m}.
     */
    legal: string[] | null;
    /**
     * Claimable lists the draws the side to move may claim now:
     * ClaimThreefold, ClaimFiftyMove.
     */
    claimable: string[] | null;
    /** Moves is the move history in SAN, from the starting position. */
    moves: string[] | null;
    /** StartFEN is the starting position when it is not the standard one. */
    start_fen?: string;
    /**
     * Result is how the game ended by the rules of chess, nil while it
     * goes on.
     */
    result: MatchResult | null;
}
/** Played is a move that was made, in both notations. */
export interface ChessPlayed {
    /** UCI is the move in UCI notation, such as "e7e8q". */
    uci: string;
    /**
     * SAN is the move in standard algebraic notation, with "+" or "#"
     * for check and mate, such as "e8=Q+".
     */
    san: string;
}
/**
 * ChallengeNotice is the payload of EventChallenge and what
 * Config.OnChallenge receives.
 */
export interface ChallengeNotice {
    /**
     * State is ChallengeOffered, ChallengeAccepted, ChallengeDeclined,
     * ChallengeCancelled, ChallengeExpired or ChallengeFinished.
     */
    state: string;
    /** Game is the game's name ("chess"). */
    game: string;
    /** Room is the match's room id. */
    room: string;
    /** From is the challenger: the player whose join created the match. */
    from: string;
    /** Players lists the players by seat. */
    players: string[] | null;
    /**
     * Nonce is the match's nonce: the other players accept by joining
     * with {opponent: From, nonce} (or the seats and the nonce), and
     * decline by adding decline: true.
     */
    nonce: string;
    /** BaseMS and IncrementMS are the time control; zero if untimed. */
    base_ms?: number;
    /** IncrementMS is the time control's increment in milliseconds. */
    increment_ms?: number;
    /**
     * ExpiresMS, for an offered challenge, is when it expires, in Unix
     * milliseconds; zero if it waits for as long as its room lives.
     */
    expires_ms?: number;
    /** By is the player who declined or cancelled. */
    by?: string;
    /** Result is the outcome of a finished match. */
    result?: MatchResult;
    /** Ply is the number of moves played in a finished match. */
    ply?: number;
    /**
     * Restored marks an offered challenge that Module.RestoreChallenges
     * took up again after a restart: it goes to OnChallenge only, for the
     * host to rebuild what it keeps in memory, since the players were
     * told of it before.
     */
    restored?: boolean;
}
/** YourTurn is the payload of EventYourTurn. */
export interface YourTurn {
    /** Game is the game's name. */
    game: string;
    /** Room is the match's room id: join it with {room} to play. */
    room: string;
    /** Players lists the players by seat. */
    players: string[] | null;
    /** Ply is the number of moves played. */
    ply: number;
}
/** The events of a match room, by name. */
export interface MatchEvents<V = unknown, M = unknown> {
    /** Every seat has joined and the clocks run. */
    started: Started;
    /** A move was applied. */
    moved: Moved<M>;
    /** The position after a move, as this member may see it. */
    state: StateUpdate<V>;
    /** The match ended. */
    game_over: GameOver;
    /** A seat offered a draw. */
    draw_offered: SeatEvent;
    /** A seat declined the pending draw offer. */
    draw_declined: SeatEvent;
    /** A player's last connection left; the seat is held for grace_ms. */
    player_left: SeatPresence;
    /** A player came back within the grace period. */
    player_back: SeatPresence;
    /** A seat asked for a rematch. */
    rematch_offered: SeatEvent;
    /** Every seat asked for a rematch: the join params of the new match. */
    rematch: Rematch;
    /** The quick-match queue paired this player: the join params of the match (seq 0). */
    matched: Matched;
}
/** What a match room accepts: each event's request and reply. */
export interface MatchSends<M = unknown> {
    /** Play a move; ply, if given, must equal the moves played so far. */
    move: {
        request: M & {
            ply?: number;
        };
        reply: MoveReply;
    };
    /** Resign the match. */
    resign: {
        request: undefined;
        reply: null;
    };
    /** Offer a draw, or accept the opponent's offer. */
    offer_draw: {
        request: undefined;
        reply: null;
    };
    /** Accept the pending draw offer. */
    accept_draw: {
        request: undefined;
        reply: null;
    };
    /** Decline the pending draw offer. */
    decline_draw: {
        request: undefined;
        reply: null;
    };
    /** Ask for a rematch once the match is over. */
    rematch: {
        request: undefined;
        reply: Rematch | null;
    };
    /** The move log from ply from on. */
    log: {
        request: LogRequest;
        reply: LogReply<M>;
    };
    /** Withdraw your challenge while the match waits for players. */
    cancel: {
        request: undefined;
        reply: null;
    };
}
/** What the game modules send on the user channel (Config.Notifier), by event name. */
export interface GameNotices {
    /** A challenge changed state. */
    "games.challenge": ChallengeNotice;
    /** Your turn in a match you have no connection in. */
    "games.your_turn": YourTurn;
}
