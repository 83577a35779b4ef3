// The user channel and presence (docs/protocol.md, "The user channel and
// presence"): the room of kind "user" that only its user joins, which
// carries notifications and the presence of the users this user watches.
// Presence events are ephemeral, so the watch list lives here and is sent
// again after every rejoin of the channel, whose reply is the truth.

import type { RoomSpec } from "./kinds.js";
import type { Room } from "./room.js";
import type { PresenceState, UserEvents, UserSends } from "./types/user.js";

/** A watched user's status, as "presence" events and watch() give it. */
export interface PresenceStatus {
  /** The user id. */
  user: string;
  /** "online", "away" or "offline". A user who hid, or whom the server's policy hides from you, is "offline". */
  status: PresenceState;
  /** For an offline user, when their last session closed, in Unix ms; 0 otherwise or when unknown. */
  lastSeen: number;
}

/**
 * The user channel (kind "user", joined without params): notifications
 * are its ordered events, under the names the server's modules chose;
 * "presence" is an ephemeral status change of a watched user.
 */
export interface UserRoom extends RoomSpec {
  params: undefined;
  snapshot: null;
  events: Record<string, any> & UserEvents; // eslint-disable-line @typescript-eslint/no-explicit-any
  sends: UserSends;
}

/** What Presence needs from its client. @internal */
export interface PresenceHost {
  /** The user channel, joined once and rejoined with the connection. */
  userRoom(): Promise<Room<UserRoom>>;
  /** Reports a status change ("presence" event of the client). */
  emitPresence(p: PresenceStatus): void;
}

/** Turns a wire status into a PresenceStatus. */
export function toStatus(t: unknown): PresenceStatus {
  const a = Array.isArray(t) ? t : [];
  return { user: String(a[0] ?? ""), status: (a[1] ?? "offline") as PresenceState, lastSeen: Number(a[2] ?? 0) };
}

/**
 * The presence of other users, through the user channel (client.presence).
 * Every method joins the channel first if the client has not. The watch
 * list and the hidden choice are kept by the client and sent again after
 * every rejoin of the channel, since the server forgets them with the
 * channel; each re-watched status is then reported as a "presence" event
 * of the client.
 */
export class Presence {
  private readonly watched = new Set<string>();
  private hid = false;

  /** @internal */
  constructor(private readonly host: PresenceHost) {}

  /** The users watched, in the order they were first watched. */
  get watching(): string[] {
    return [...this.watched];
  }

  /** Whether this client hid its user's status. */
  get hidden(): boolean {
    return this.hid;
  }

  /**
   * Watches users and resolves with their current statuses, in the order
   * asked; later changes come as "presence" events of the client. Rejects
   * with "limit_exceeded" when the server's watch bound would be passed,
   * "rate_limited" when the user starts watching users faster than the
   * server allows (try again later; in both cases nothing of that call is
   * watched), "bad_request" for an empty or too long id.
   */
  async watch(users: string[]): Promise<PresenceStatus[]> {
    const room = await this.host.userRoom();
    const reply = await room.send("presence.watch", { users }, { persist: false });
    for (const u of users) this.watched.add(u);
    return (reply?.statuses ?? []).map(toStatus);
  }

  /** Stops watching users. */
  async unwatch(users: string[]): Promise<void> {
    for (const u of users) this.watched.delete(u);
    const room = await this.host.userRoom();
    await room.send("presence.unwatch", { users }, { persist: false });
  }

  /**
   * Hides this user's status from every watcher (they see offline), or
   * shows it again. Rejects with "rate_limited" when the user changes it
   * faster than the server allows (the status stays as it was; try again
   * later); asking for the status the user has already is never refused.
   */
  async hide(hidden: boolean): Promise<void> {
    const room = await this.host.userRoom();
    await room.send("presence.hide", { hidden }, { persist: false });
    this.hid = hidden;
  }

  /**
   * Follows the user channel's events and rejoins. A channel joined anew
   * (after the last one was left, refused on a rejoin, say) gets the
   * watch list and the hidden choice at once. @internal
   */
  _attach(room: Room<UserRoom>): void {
    room.on("presence", (t) => this.host.emitPresence(toStatus(t)));
    const restore = () => void this.restore(room);
    room.on("$resumed", restore);
    room.on("$rejoined", restore);
    restore();
  }

  /** Sends the watch list and the hidden choice again after a rejoin. */
  private async restore(room: Room<UserRoom>): Promise<void> {
    try {
      if (this.hid) {
        await room.send("presence.hide", { hidden: true }, { persist: false });
      }
      const users = [...this.watched];
      if (users.length === 0) return;
      const reply = await room.send("presence.watch", { users }, { persist: false });
      for (const t of reply?.statuses ?? []) this.host.emitPresence(toStatus(t));
    } catch {
      // The connection was lost again: the next rejoin sends them again.
    }
  }
}
