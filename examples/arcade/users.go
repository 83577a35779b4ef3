package main

import (
	"context"
	"errors"
	"slices"
)

// user is a demo user.
type user struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// demoUsers are the arcade's fixed users, in display order.
var demoUsers = []user{
	{ID: "alice", Name: "Alice"},
	{ID: "bob", Name: "Bob"},
	{ID: "carol", Name: "Carol"},
	{ID: "dave", Name: "Dave"},
}

// demoConnections are the accepted connections between demo users. They
// are symmetric: each pair may chat and challenge each other.
var demoConnections = [][2]string{
	{"alice", "bob"},
	{"alice", "carol"},
	{"bob", "carol"},
	{"bob", "dave"},
}

// lookupUser returns the demo user with this id.
func lookupUser(id string) (user, bool) {
	for _, u := range demoUsers {
		if u.ID == id {
			return u, true
		}
	}
	return user{}, false
}

// displayName returns the user's display name, or the id itself.
func displayName(id string) string {
	if u, ok := lookupUser(id); ok {
		return u.Name
	}
	return id
}

// connected reports whether a and b are an accepted connection.
func connected(a, b string) bool {
	for _, c := range demoConnections {
		if (c[0] == a && c[1] == b) || (c[0] == b && c[1] == a) {
			return true
		}
	}
	return false
}

// connectionsOf returns the user's connections, in display order.
func connectionsOf(id string) []user {
	var out []user
	for _, u := range demoUsers {
		if connected(id, u.ID) {
			out = append(out, u)
		}
	}
	return out
}

// displayNames maps every demo user id to its display name, for pages.
func displayNames() map[string]string {
	m := make(map[string]string, len(demoUsers))
	for _, u := range demoUsers {
		m[u.ID] = u.Name
	}
	return m
}

// errNotConnected refuses a direct message between users who are not
// connected; the chat module answers it with forbidden.
var errNotConnected = errors.New("arcade: not a connection")

// canMessage is the chat module's CanMessage: only connections may talk.
func canMessage(_ context.Context, from, to string) error {
	if !connected(from, to) {
		return errNotConnected
	}
	return nil
}

// canSeePresence is the engine's PresencePolicy: a user's status is
// shown to their connections only.
func canSeePresence(_ context.Context, viewer, subject string) bool {
	return connected(viewer, subject)
}

// isDemoUser reports whether id is one of the demo users.
func isDemoUser(id string) bool {
	return slices.ContainsFunc(demoUsers, func(u user) bool { return u.ID == id })
}
