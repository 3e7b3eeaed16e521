package main

import (
	"image"
	"strings"

	"github.com/boombuler/barcode/qr"
)

// qrQuietZone is the light margin around a QR code, in modules: the four
// that ISO/IEC 18004 asks for, so that a phone finds the code's edges.
const qrQuietZone = 4

// renderQR draws a QR code of text for a terminal: see halfBlocks. The
// medium error-correction level (M) leaves room for a blurry photo of a
// screen; an otpauth URI still fits in 80 columns.
func renderQR(text string) ([]string, error) {
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return nil, err
	}
	return halfBlocks(code), nil
}

// halfBlocks draws the modules of a QR code in text, surrounded by its
// quiet zone: each character covers one module across and two down, the
// upper one drawn by "▀", the lower one by "▄", both by "█", neither by
// " ". Terminals mostly draw light text on a dark background, so the
// blocks, in the text's colour, draw the light modules and the quiet
// zone, and the dark modules are left to the background: the phone sees
// dark on light, as on paper. A terminal with dark text on a light
// background shows the code in reverse, which most scanners read too.
func halfBlocks(code image.Image) []string {
	b := code.Bounds()
	light := func(x, y int) bool {
		p := image.Pt(b.Min.X+x, b.Min.Y+y)
		if !p.In(b) {
			return true // the quiet zone
		}
		r, g, bl, _ := code.At(p.X, p.Y).RGBA()
		return r+g+bl > 3*0xffff/2
	}
	width, height := b.Dx()+2*qrQuietZone, b.Dy()+2*qrQuietZone
	var lines []string
	for y := 0; y < height; y += 2 {
		var sb strings.Builder
		for x := range width {
			// The row below the last is the terminal's background.
			top, bottom := light(x-qrQuietZone, y-qrQuietZone), y+1 < height && light(x-qrQuietZone, y+1-qrQuietZone)
			switch {
			case top && bottom:
				sb.WriteString("█")
			case top:
				sb.WriteString("▀")
			case bottom:
				sb.WriteString("▄")
			default:
				sb.WriteString(" ")
			}
		}
		lines = append(lines, sb.String())
	}
	return lines
}
