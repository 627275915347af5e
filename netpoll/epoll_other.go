//go:build !linux

package netpoll

import "net"

// Poller is unavailable here; New always fails with ErrUnsupported.
type Poller struct{}

// Desc is unavailable here.
type Desc struct{}

// New returns ErrUnsupported.
func New() (*Poller, error) { return nil, ErrUnsupported }

// Add is never reached: New fails.
func (p *Poller) Add(net.Conn, func(*Desc)) (*Desc, error) { return nil, ErrUnsupported }

// Resume is never reached.
func (d *Desc) Resume() error { return ErrUnsupported }

// Remove is never reached.
func (d *Desc) Remove() {}

// Close does nothing.
func (p *Poller) Close() error { return nil }
