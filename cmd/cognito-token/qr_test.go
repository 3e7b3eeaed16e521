package main

import (
	"image"
	"image/color"
	"testing"
	"unicode/utf8"

	"github.com/boombuler/barcode/qr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-e8acf5fd/cognito"
)

// halves maps each character of a rendering to its two modules, upper
// and lower: true for light.
var halves = map[rune][2]bool{
	'█': {true, true},
	'▀': {true, false},
	'▄': {false, true},
	' ': {false, false},
}

// TestRenderQR reads a rendered otpauth URI back, module by module, and
// compares it with the QR code the barcode package makes of it.
func TestRenderQR(t *testing.T) {
	t.Parallel()
	uri := (&cognito.Challenge{Username: "0c7d9f2e-4b1a-4f3e-9c2d-5e6f7a8b9c0d", SecretCode: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPABCD"}).OTPAuthURI("eu-west-1_AbC123")
	lines, err := renderQR(uri)
	require.NoError(t, err)
	code, err := qr.Encode(uri, qr.M, qr.Auto)
	require.NoError(t, err)
	size := code.Bounds().Dx()
	require.Equal(t, size, code.Bounds().Dy())

	width := size + 2*qrQuietZone
	assert.LessOrEqual(t, width, 80, "it fits an 80-column terminal")
	require.Len(t, lines, (width+1)/2, "two module rows per line")
	// light reports the module at (x, y) of the code with its quiet zone.
	light := func(x, y int) bool {
		x, y = x-qrQuietZone, y-qrQuietZone
		if x < 0 || y < 0 || x >= size || y >= size {
			return true
		}
		return color.GrayModel.Convert(code.At(x, y)).(color.Gray).Y > 127
	}
	dark := 0
	for row, line := range lines {
		require.Equal(t, width, utf8.RuneCountInString(line), "line %d", row)
		for x, r := range []rune(line) {
			h, ok := halves[r]
			require.True(t, ok, "line %d has %q", row, r)
			assert.Equal(t, light(x, 2*row), h[0], "module (%d, %d)", x, 2*row)
			if y := 2*row + 1; y < width {
				assert.Equal(t, light(x, y), h[1], "module (%d, %d)", x, y)
			} else {
				assert.False(t, h[1], "below the quiet zone is the background")
			}
			for _, light := range h {
				if !light {
					dark++
				}
			}
		}
	}
	assert.False(t, light(qrQuietZone, qrQuietZone), "a finder pattern's corner is dark")
	assert.Greater(t, dark, size*size/4, "the code is drawn, not only its margin")
}

// TestHalfBlocks draws a one-module code by hand: a dark module in the
// middle of its quiet zone, on an odd number of rows.
func TestHalfBlocks(t *testing.T) {
	t.Parallel()
	code := image.NewGray(image.Rect(0, 0, 1, 1)) // black
	assert.Equal(t, []string{
		"█████████",
		"█████████",
		"████▄████",
		"█████████",
		"▀▀▀▀▀▀▀▀▀",
	}, halfBlocks(code))
}
