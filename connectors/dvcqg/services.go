package dvcqg

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hcmc-lgsp/lgsp-connector/internal/lgsp"
)

// Service names (SPEC-dvcqg.md §2).
const (
	ServiceDongBoHoSoMC        = "DongBoHoSoMC"
	ServiceCapNhatTienDoHoSoMC = "CapNhatTienDoHoSoMC"
	ServiceTraCuuHoSo          = "TraCuuHoSo"
	ServiceDongBoThongKeHoSo   = "DongBoThongKeHoSo"
	ServiceDongBoDanhGia       = "DongBoDanhGia"
)

// MaxStepsPerCall is the most progress steps one CapNhatTienDoHoSoMC
// call carries (SPEC-dvcqg.md §1.3, as one-stop software does it).
const MaxStepsPerCall = 10

// DongBoHoSoMC creates (isUpdating false) or replaces (true) dossiers on
// the portal. items are packets.EncodeDVCQGItem output, sent byte for
// byte. A create the portal answers with "đã tồn tại" (3/-3) is sent again
// as an update, so a caller that does not know whether the portal has a
// dossier can always try a create.
func (c *Client) DongBoHoSoMC(ctx context.Context, items [][]byte, isUpdating bool) error {
	if err := checkItems(ServiceDongBoHoSoMC, items); err != nil {
		return err
	}
	_, res := c.syncDossiers(ctx, c.newID(), c.cfg.MaDonVi, items, isUpdating)
	return res.Err
}

// syncDossiers sends a DongBoHoSoMC call with message ID id and, when a
// create meets "đã tồn tại", the same items as an update under an ID
// derived from id.
func (c *Client) syncDossiers(ctx context.Context, id, madonvi string, items [][]byte, isUpdating bool) (Reply, lgsp.Result) {
	q := portalCall{endpoint: c.cfg.IntegrationEndpoint, service: ServiceDongBoHoSoMC, messageID: id,
		madonvi: madonvi, isUpdating: &isUpdating, data: items}
	reply, res := c.call(ctx, q)
	if isUpdating || res.Class == lgsp.ClassDelivered || !alreadyExists(reply) {
		return reply, res
	}
	c.log.Debug("the national portal already has the dossier; sending it as an update", "message_id", id, "items", len(items))
	update := true
	q.isUpdating, q.messageID = &update, derivedID(id, "update")
	attempts, latency := res.Attempts, res.Latency
	reply, res = c.call(ctx, q)
	res.Attempts += attempts
	res.Latency += latency
	return reply, res
}

// CapNhatTienDoHoSoMC appends progress steps (packets.EncodeDVCQGItem
// output) to dossiers the portal already has, at most MaxStepsPerCall per
// call, in the order given. It stops at the first failed call and returns
// how many steps were acknowledged before it, so the caller can resume.
func (c *Client) CapNhatTienDoHoSoMC(ctx context.Context, steps [][]byte) (sent int, err error) {
	if err := checkItems(ServiceCapNhatTienDoHoSoMC, steps); err != nil {
		return 0, err
	}
	_, res, sent := c.sendSteps(ctx, c.newID(), c.cfg.MaDonVi, steps)
	return sent, res.Err
}

// sendSteps sends steps in calls of at most MaxStepsPerCall; the first
// call carries message ID id, later ones IDs derived from it.
func (c *Client) sendSteps(ctx context.Context, id, madonvi string, steps [][]byte) (Reply, lgsp.Result, int) {
	var (
		reply      Reply
		total      lgsp.Result
		sent       int
		attempts   int
		firstChunk = true
	)
	for start := 0; start < len(steps); start += MaxStepsPerCall {
		chunk := steps[start:min(start+MaxStepsPerCall, len(steps))]
		msgID := id
		if !firstChunk {
			msgID = derivedID(id, fmt.Sprintf("steps-%d", start))
		}
		firstChunk = false
		var res lgsp.Result
		reply, res = c.call(ctx, portalCall{endpoint: c.cfg.IntegrationEndpoint, service: ServiceCapNhatTienDoHoSoMC,
			messageID: msgID, madonvi: madonvi, data: chunk})
		attempts += res.Attempts
		latency := total.Latency + res.Latency
		total = res
		total.Attempts, total.Latency = attempts, latency
		if res.Class != lgsp.ClassDelivered {
			if sent > 0 {
				total.Err = fmt.Errorf("%w (the first %d of %d steps were acknowledged)", res.Err, sent, len(steps))
			}
			break
		}
		sent += len(chunk)
	}
	return reply, total, sent
}

// TraCuuHoSo asks whether the portal has a dossier: found is true when its
// result lists at least one row.
func (c *Client) TraCuuHoSo(ctx context.Context, maHoSo string) (found bool, err error) {
	found, res := c.lookup(ctx, maHoSo)
	return found, res.Err
}

func (c *Client) lookup(ctx context.Context, maHoSo string) (bool, lgsp.Result) {
	if maHoSo == "" {
		return false, lgsp.Result{Class: lgsp.ClassPermanent, Err: &Error{Service: ServiceTraCuuHoSo, Class: lgsp.ClassPermanent,
			Err: errors.New("MaHoSo is empty")}}
	}
	reply, res := c.call(ctx, portalCall{endpoint: c.cfg.IntegrationEndpoint, service: ServiceTraCuuHoSo,
		messageID: c.newID(), madonvi: c.cfg.MaDonVi, params: [][2]string{{"mahoso", maHoSo}}})
	if res.Class != lgsp.ClassDelivered {
		return false, res
	}
	rows, err := rowsOf(reply.Result)
	if err != nil {
		res.Class = lgsp.ClassTransient
		res.Err = &Error{Service: ServiceTraCuuHoSo, Class: res.Class, Err: fmt.Errorf("%w: %w", ErrBadAnswer, err)}
		return false, res
	}
	return len(rows) > 0, res
}

// DongBoThongKeHoSo sends one unit's monthly statistics: item is the data
// object of SPEC-dvcqg.md §9.1 (Thang, Nam, the 13 figures as strings,
// Madonvi, TenDonVi, LoaiThongKe …), sent byte for byte.
func (c *Client) DongBoThongKeHoSo(ctx context.Context, item json.RawMessage) error {
	if err := checkItems(ServiceDongBoThongKeHoSo, [][]byte{item}); err != nil {
		return err
	}
	_, res := c.call(ctx, portalCall{endpoint: c.cfg.IntegrationEndpoint, service: ServiceDongBoThongKeHoSo,
		messageID: c.newID(), madonvi: c.cfg.MaDonVi, data: [][]byte{item}})
	return res.Err
}

// DongBoDanhGia sends one unit's monthly satisfaction summary: items are
// the data objects of SPEC-dvcqg.md §9.2, one per survey question
// (NgayTongHop "M-yyyy", TongSoNguoiDanhGia as a JSON number, the six
// shares, NoiDung, Madonvi, TenDonVi …), sent byte for byte in one call:
// the month's summary is one whole, never half sent.
func (c *Client) DongBoDanhGia(ctx context.Context, items [][]byte) error {
	if err := checkItems(ServiceDongBoDanhGia, items); err != nil {
		return err
	}
	_, res := c.call(ctx, portalCall{endpoint: c.cfg.IntegrationEndpoint, service: ServiceDongBoDanhGia,
		messageID: c.newID(), madonvi: c.cfg.MaDonVi, data: items})
	return res.Err
}

// checkItems refuses what would make a malformed envelope: no items, or
// an item that is not one JSON object.
func checkItems(service string, items [][]byte) error {
	if len(items) == 0 {
		return &Error{Service: service, Class: lgsp.ClassPermanent, Err: errors.New("no items to send")}
	}
	for i, item := range items {
		t := bytes.TrimSpace(item)
		if len(t) == 0 || t[0] != '{' || !json.Valid(t) {
			return &Error{Service: service, Class: lgsp.ClassPermanent,
				Err: fmt.Errorf("item %d is not a JSON object (want packets.EncodeDVCQGItem output)", i)}
		}
	}
	return nil
}
