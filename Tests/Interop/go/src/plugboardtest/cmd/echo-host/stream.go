package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/golang/protobuf/proto"

	streamv1 "plugboard/stream/v1"
)

// The stream set's call for -mode services: one bidirectional Sync stream. A goroutine sends
// syncPlan and half-closes while this one reads the plugin's answers (one per update, in order)
// and its own events (numbered 1, 2, 3…), checking each as it arrives, and then what the plugin
// holds at the end, from its final Status and its last route index.

// syncStep is one update the host sends and how the plugin must answer it.
type syncStep struct {
	kind, name, version string
	delete              bool
	rejectedFor         string // empty: the plugin must ack; else a phrase its rejection's reason contains
}

// syncPlan is sent in order, numbered from 1.
var syncPlan = []syncStep{
	{kind: "route", name: "checkout", version: "1"},
	{kind: "cluster", name: "payments", version: "1"},
	{kind: "route", name: "checkout", version: "2"},
	{kind: "route", name: "checkout", version: "1", rejectedFor: "older than the held version"},
	{kind: "route", name: "search", version: "1"},
	{kind: "route", name: "search", version: "1", delete: true}, // a delete at the held version
	{kind: "cluster", name: "inventory", version: "1"},
	{kind: "cluster", name: "", version: "1", rejectedFor: "name is empty"},
	{kind: "cluster", name: "payments", version: "2"},
}

// What the plugin must hold after syncPlan: checkout (update 3), payments and inventory.
var expectedHeld = map[string]uint64{"route": 1, "cluster": 2}

// The route index after syncPlan: routes changed with updates 1, 3, 5 and 6, so its version
// is "4" and its source update 6; only checkout, at version 2 from update 3, is left.
const (
	expectedRouteIndexVersion = "4"
	expectedRouteIndexSource  = 6
	checkoutUpdate            = 3
)

// routeIndexPayload is the route index's JSON payload.
type routeIndexPayload struct {
	Count  int `json:"count"`
	Routes []struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		Bytes   int    `json:"bytes"`
	} `json:"routes"`
}

// syncUpdate is syncPlan's update with the given sequence (from 1); a set carries a small JSON
// payload, a delete none.
func syncUpdate(sequence int) *streamv1.ResourceUpdate {
	step := syncPlan[sequence-1]
	update := &streamv1.ResourceUpdate{Sequence: uint64(sequence), Kind: step.kind, Name: step.name,
		Version: step.version, Delete: step.delete}
	if !step.delete {
		update.Payload = []byte(fmt.Sprintf(`{"upstream":%q,"step":%d}`, step.name, sequence))
	}
	return update
}

// exerciseControlStream runs the Sync stream, counting the plugin's messages in r, and the stream
// as one call once everything on it checked out.
func exerciseControlStream(ctx context.Context, client streamv1.ControlStreamClient, r *servicesResult) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // also stops the sender if receiving fails
	stream, err := client.Sync(ctx)
	if err != nil {
		return fmt.Errorf("Sync: opening the stream: %v", err)
	}
	sent := make(chan error, 1)
	go func() { sent <- sendSyncPlan(stream) }()

	var answers syncAnswers
	recvErr := answers.receiveAll(stream)
	r.StreamMessages, r.Acks, r.Rejections, r.Events = answers.messages, answers.acks, answers.rejections, answers.events
	if recvErr != nil {
		cancel()
		<-sent
		return recvErr
	}
	if err := <-sent; err != nil {
		return err
	}
	if err := answers.checkEnd(); err != nil {
		return err
	}
	r.Calls++
	return nil
}

// sendSyncPlan sends every update of syncPlan, then half-closes the stream.
func sendSyncPlan(stream streamv1.ControlStream_SyncClient) error {
	for sequence := 1; sequence <= len(syncPlan); sequence++ {
		request := &streamv1.SyncRequest{Message: &streamv1.SyncRequest_Update{Update: syncUpdate(sequence)}}
		if err := stream.Send(request); err != nil {
			if err == io.EOF { // the stream ended; Recv reports the real status
				return nil
			}
			return fmt.Errorf("Sync: sending update %d: %v", sequence, err)
		}
	}
	if err := stream.CloseSend(); err != nil {
		return fmt.Errorf("Sync: half-closing: %v", err)
	}
	return nil
}

// syncAnswers checks the plugin's messages on the Sync stream as they arrive and keeps what the
// end-of-stream checks need.
type syncAnswers struct {
	messages, acks, rejections, events int
	lastEvent                          uint64
	lastStatus                         *streamv1.Status
	lastRouteIndex                     *streamv1.DerivedResource
	endedWithStatus                    bool // the last message so far is a Status event
}

// receiveAll reads and checks messages until the plugin ends the stream, with OK or an error.
func (a *syncAnswers) receiveAll(stream streamv1.ControlStream_SyncClient) error {
	for {
		response, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("Sync: receiving message %d: %v", a.messages+1, err)
		}
		a.messages++
		if err := a.take(response); err != nil {
			return fmt.Errorf("Sync: message %d: %v", a.messages, err)
		}
	}
}

// take checks one message.
func (a *syncAnswers) take(response *streamv1.SyncResponse) error {
	a.endedWithStatus = false
	switch message := response.Message.(type) {
	case *streamv1.SyncResponse_Ack:
		return a.takeAck(message.Ack)
	case *streamv1.SyncResponse_Rejection:
		return a.takeRejection(message.Rejection)
	case *streamv1.SyncResponse_Event:
		return a.takeEvent(message.Event)
	}
	return fmt.Errorf("a SyncResponse with no message")
}

// takeAck checks an ack against the next update due an answer.
func (a *syncAnswers) takeAck(ack *streamv1.Ack) error {
	step, err := a.nextStep(ack.Sequence, ack.Kind, ack.Name, ack.Version)
	if err != nil {
		return err
	}
	if step.rejectedFor != "" {
		return fmt.Errorf("update %d was acked; want it rejected (%q)", ack.Sequence, step.rejectedFor)
	}
	a.acks++
	return nil
}

// takeRejection checks a rejection against the next update due an answer, and its reason.
func (a *syncAnswers) takeRejection(rejection *streamv1.Rejection) error {
	step, err := a.nextStep(rejection.Sequence, rejection.Kind, rejection.Name, rejection.Version)
	if err != nil {
		return err
	}
	if step.rejectedFor == "" || !strings.Contains(rejection.Reason, step.rejectedFor) {
		return fmt.Errorf("update %d was rejected: %q; want %s", rejection.Sequence, rejection.Reason, step.wantedAnswer())
	}
	a.rejections++
	return nil
}

// nextStep is the update the next answer must be for: answers come in the updates' order and
// name the update's sequence, kind, name and version exactly.
func (a *syncAnswers) nextStep(sequence uint64, kind, name, version string) (syncStep, error) {
	answered := a.acks + a.rejections
	if answered == len(syncPlan) {
		return syncStep{}, fmt.Errorf("an answer for update %d after all %d updates were answered", sequence, len(syncPlan))
	}
	want := syncUpdate(answered + 1)
	if sequence != want.Sequence || kind != want.Kind || name != want.Name || version != want.Version {
		return syncStep{}, fmt.Errorf("an answer for #%d %s/%s v%s; want one for #%d %s/%s v%s",
			sequence, kind, name, version, want.Sequence, want.Kind, want.Name, want.Version)
	}
	return syncPlan[answered], nil
}

// wantedAnswer describes the answer a step must get, for messages.
func (s syncStep) wantedAnswer() string {
	if s.rejectedFor == "" {
		return "an ack"
	}
	return fmt.Sprintf("a rejection whose reason contains %q", s.rejectedFor)
}

// takeEvent checks an event's numbering and keeps the latest Status and route index.
func (a *syncAnswers) takeEvent(event *streamv1.Event) error {
	if event.Sequence != a.lastEvent+1 {
		return fmt.Errorf("event %d follows event %d; events are numbered 1, 2, 3…", event.Sequence, a.lastEvent)
	}
	a.lastEvent = event.Sequence
	a.events++
	switch body := event.Event.(type) {
	case *streamv1.Event_Status:
		a.lastStatus, a.endedWithStatus = body.Status, true
	case *streamv1.Event_Derived:
		if body.Derived.Kind != "route-index" || body.Derived.Name != "routes" {
			return fmt.Errorf("derived resource %s/%s; the stream plugin derives only route-index/routes",
				body.Derived.Kind, body.Derived.Name)
		}
		a.lastRouteIndex = body.Derived
	default:
		return fmt.Errorf("event %d carries neither a Status nor a DerivedResource", event.Sequence)
	}
	return nil
}

// checkEnd checks, once the plugin ended the stream with OK, that every update was answered and
// that its final Status and last route index describe what syncPlan leaves.
func (a *syncAnswers) checkEnd() error {
	if answered := a.acks + a.rejections; answered != len(syncPlan) {
		return fmt.Errorf("Sync: the plugin ended the stream after answering %d of %d updates", answered, len(syncPlan))
	}
	if err := a.checkFinalStatus(); err != nil {
		return fmt.Errorf("Sync: final Status: %v", err)
	}
	if err := a.checkRouteIndex(); err != nil {
		return fmt.Errorf("Sync: route index: %v", err)
	}
	return nil
}

// checkFinalStatus: the stream must end with the Status sent for the end of the requests,
// counting every update and holding expectedHeld.
func (a *syncAnswers) checkFinalStatus() error {
	if !a.endedWithStatus {
		return fmt.Errorf("the stream's last message is not a Status event")
	}
	status := a.lastStatus
	rejected := 0
	for _, step := range syncPlan {
		if step.rejectedFor != "" {
			rejected++
		}
	}
	if !reflect.DeepEqual(status.Resources, expectedHeld) || status.UpdatesReceived != uint64(len(syncPlan)) ||
		status.UpdatesRejected != uint64(rejected) || !strings.Contains(status.Message, "the request stream ended") {
		return fmt.Errorf("got {%s}; want resources %v, %d updates received, %d rejected, sent because the request stream ended",
			proto.CompactTextString(status), expectedHeld, len(syncPlan), rejected)
	}
	return nil
}

// checkRouteIndex: the last route index must count every change to routes and list checkout alone.
func (a *syncAnswers) checkRouteIndex() error {
	index := a.lastRouteIndex
	if index == nil {
		return fmt.Errorf("the plugin sent none, though routes changed")
	}
	if index.Version != expectedRouteIndexVersion || index.SourceSequence != expectedRouteIndexSource {
		return fmt.Errorf("version %q from update %d; want version %q from update %d",
			index.Version, index.SourceSequence, expectedRouteIndexVersion, expectedRouteIndexSource)
	}
	var payload routeIndexPayload
	if err := json.Unmarshal(index.Payload, &payload); err != nil {
		return fmt.Errorf("payload %q is not the index's JSON: %v", index.Payload, err)
	}
	checkout := syncUpdate(checkoutUpdate)
	if payload.Count != 1 || len(payload.Routes) != 1 || payload.Routes[0].Name != checkout.Name ||
		payload.Routes[0].Version != checkout.Version || payload.Routes[0].Bytes != len(checkout.Payload) {
		return fmt.Errorf("payload %s; want checkout alone, at version %s with %d bytes",
			index.Payload, checkout.Version, len(checkout.Payload))
	}
	return nil
}
