/**
 * Image types shared by every stage. Layouts follow dlib's `array2d<rgb_pixel>` / `array2d<unsigned char>`:
 * row-major, no padding between rows, x = column, y = row, pixel centres at integer coordinates.
 */

/** 8-bit RGB image: `data[(y*width + x)*3 + c]`, c = 0 red, 1 green, 2 blue. `data.length === width*height*3`. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** 8-bit grey image: `data[y*width + x]`. */
export interface GrayImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** float32 single-channel image (dlib `array2d<float>`), row-major. */
export interface FloatImage {
  width: number;
  height: number;
  data: Float32Array;
}

/** A new black RGB image. */
export function rgbImage(width: number, height: number): RgbImage {
  return { width, height, data: new Uint8Array(width * height * 3) };
}

/** dlib `rectangle`: integer, inclusive on all sides (width = right - left + 1). */
export interface Rect {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** dlib `drectangle`: double coordinates, same inclusive convention as dlib's drectangle. */
export type DRect = Rect;

export interface Point {
  x: number;
  y: number;
}
