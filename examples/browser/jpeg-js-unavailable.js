/**
 * Stand-in for the `jpeg-js` package in the unbundled browser example (see the import map in
 * index.html). The page never decodes JPEG bytes with it: it decodes with the browser
 * (createImageBitmap → canvas → ImageData) and passes the pixels.
 */
export default {
  decode() {
    throw new Error(
      'inception-wasm: JPEG bytes are not decoded in this page (jpeg-js is a Node/CommonJS package); ' +
        'decode with createImageBitmap + canvas and pass the ImageData instead',
    );
  },
};
