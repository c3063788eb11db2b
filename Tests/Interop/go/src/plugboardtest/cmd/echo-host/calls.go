package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	testv1 "plugboard/test/v1"
)

// checkEcho verifies that resp carries req's fields unchanged.
func checkEcho(req *testv1.EchoRequest, resp *testv1.EchoResponse) error {
	if resp.Text != req.Text || !bytes.Equal(resp.Payload, req.Payload) || resp.Sequence != req.Sequence {
		return fmt.Errorf("echo mismatch: sent text=%q payload=%d bytes sequence=%d, got text=%q payload=%d bytes sequence=%d",
			req.Text, len(req.Payload), req.Sequence, resp.Text, len(resp.Payload), resp.Sequence)
	}
	return nil
}

// checkTaggedEcho verifies that resp carries req's fields, its text either unchanged or with a
// "<who>: " tag in front, as brokered Echo servers answer (the Go echo-plugin's "go-plugin: ").
func checkTaggedEcho(req *testv1.EchoRequest, resp *testv1.EchoResponse) error {
	if resp.Text != req.Text && !strings.HasSuffix(resp.Text, ": "+req.Text) {
		return fmt.Errorf("echo mismatch: sent text=%q, got text=%q (neither the same nor tagged \"<who>: \")", req.Text, resp.Text)
	}
	return checkEcho(req, &testv1.EchoResponse{Text: req.Text, Payload: resp.Payload, Sequence: resp.Sequence})
}

// get makes one Get and checks the answer.
func get(ctx context.Context, echo testv1.EchoClient, req *testv1.EchoRequest) error {
	resp, err := echo.Get(ctx, req)
	if err != nil {
		return fmt.Errorf("Get: %v", err)
	}
	return checkEcho(req, resp)
}

// update sends n messages over one Update stream from a sender goroutine while this goroutine
// receives and checks every answer in order. It returns how many answers were verified.
func update(ctx context.Context, echo testv1.EchoClient, n int, payload []byte) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // also stops the sender if receiving fails
	stream, err := echo.Update(ctx)
	if err != nil {
		return 0, fmt.Errorf("Update: opening the stream: %v", err)
	}

	var wg sync.WaitGroup
	var sendErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < n; i++ {
			if err := stream.Send(&testv1.EchoRequest{Text: "update", Payload: payload, Sequence: int64(i)}); err != nil {
				if err != io.EOF { // io.EOF: the stream ended; Recv reports the real status
					sendErr = fmt.Errorf("Update: sending message %d: %v", i, err)
				}
				return
			}
		}
		if err := stream.CloseSend(); err != nil {
			sendErr = fmt.Errorf("Update: half-closing: %v", err)
		}
	}()

	received, recvErr := 0, error(nil)
	for ; received < n; received++ {
		resp, err := stream.Recv()
		if err != nil {
			recvErr = fmt.Errorf("Update: receiving answer %d of %d: %v", received, n, err)
			break
		}
		want := &testv1.EchoRequest{Text: "update", Payload: payload, Sequence: int64(received)}
		if err := checkEcho(want, resp); err != nil {
			recvErr = fmt.Errorf("Update: answer %d: %v", received, err)
			break
		}
	}
	if recvErr == nil {
		if _, err := stream.Recv(); err != io.EOF {
			recvErr = fmt.Errorf("Update: expected the stream to end after %d answers, got %v", n, err)
		}
	}
	if recvErr != nil {
		cancel()
	}
	wg.Wait()
	if recvErr != nil {
		return received, recvErr
	}
	return received, sendErr
}

// expand asks for n answers and checks that they arrive numbered 0 ..< n.
func expand(ctx context.Context, echo testv1.EchoClient, n int, payload []byte) error {
	stream, err := echo.Expand(ctx, &testv1.EchoRequest{Text: "expand", Payload: payload, Sequence: int64(n)})
	if err != nil {
		return fmt.Errorf("Expand: %v", err)
	}
	for i := 0; ; i++ {
		resp, err := stream.Recv()
		if err == io.EOF {
			if i != n {
				return fmt.Errorf("Expand: asked for %d answers, got %d", n, i)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("Expand: receiving answer %d of %d: %v", i, n, err)
		}
		if err := checkEcho(&testv1.EchoRequest{Text: "expand", Payload: payload, Sequence: int64(i)}, resp); err != nil {
			return fmt.Errorf("Expand: answer %d: %v", i, err)
		}
	}
}

// collect streams reqs and checks the single answer: texts and payloads concatenated,
// sequences summed.
func collect(ctx context.Context, echo testv1.EchoClient, reqs []*testv1.EchoRequest) error {
	stream, err := echo.Collect(ctx)
	if err != nil {
		return fmt.Errorf("Collect: opening the stream: %v", err)
	}
	want := &testv1.EchoRequest{}
	for i, req := range reqs {
		if err := stream.Send(req); err != nil && err != io.EOF {
			return fmt.Errorf("Collect: sending message %d: %v", i, err)
		}
		want.Text += req.Text
		want.Payload = append(want.Payload, req.Payload...)
		want.Sequence += req.Sequence
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		return fmt.Errorf("Collect: %v", err)
	}
	if len(want.Payload) == 0 {
		want.Payload = nil
	}
	return checkEcho(want, resp)
}
