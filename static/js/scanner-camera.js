// The scanner's camera: the rear camera when there is one, read continuously. Each frame goes to
// the phone's own QR reader when the browser has one (BarcodeDetector, e.g. Chrome on Android),
// else to jsQR (vendored from npm). jsQR runs on the page itself: a worker would load it from
// outside the service worker's scope, and so not offline.
// jsQR stays the classic (UMD) script the build copies from npm, loaded before this module by
// templates/checkin/scanner.html: it sets window.jsQR, read here when a frame is decoded.

const FRAME_GAP_MS = 80; // between the end of one decode and the next frame
const MAX_WIDTH = 800; // frames are scaled down to this: faster, and enough for a ticket

async function nativeDetector() {
  if (!("BarcodeDetector" in window)) return null;
  try {
    const formats = await window.BarcodeDetector.getSupportedFormats();
    return formats.includes("qr_code") ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
  } catch (err) {
    return null;
  }
}

// container: where the video goes; onCode(text) for every code read; onFrame(ms) per decode.
export function Camera({ container, onCode, onFrame }) {
  const video = document.createElement("video");
  video.muted = true;
  video.playsInline = true;
  video.setAttribute("playsinline", ""); // iOS Safari
  video.setAttribute("aria-hidden", "true");
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  let stream = null;
  let running = false;
  let loop = null; // the read loop, while it runs
  let decode = null; // () -> Promise<{text, ms}> for the current frame

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  async function readLoop() {
    while (running) {
      if (video.readyState >= 2 && video.videoWidth && document.visibilityState === "visible") {
        try {
          const result = await decode();
          if (onFrame) onFrame(result.ms);
          if (running && result.text) onCode(result.text);
        } catch (err) {
          // one unreadable frame: try the next
        }
      }
      await sleep(FRAME_GAP_MS);
    }
    loop = null;
  }

  function keepReading() {
    running = true;
    loop = loop || readLoop();
  }

  function frameImage() {
    const scale = Math.min(1, MAX_WIDTH / video.videoWidth);
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    return context.getImageData(0, 0, canvas.width, canvas.height);
  }

  async function chooseDecoder() {
    const detector = await nativeDetector();
    if (detector) {
      return async () => {
        const started = performance.now();
        const codes = await detector.detect(video);
        return { text: codes.length ? codes[0].rawValue : null, ms: performance.now() - started };
      };
    }
    return async () => {
      const image = frameImage();
      const started = performance.now();
      const found = window.jsQR(image.data, image.width, image.height, {
        inversionAttempts: "dontInvert", // tickets are dark on light
      });
      return { text: found ? found.data : null, ms: performance.now() - started };
    };
  }

  this.start = async function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      throw new Error("no camera API (https is needed)");
    }
    decode = decode || (await chooseDecoder());
    stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
    });
    video.srcObject = stream;
    container.replaceChildren(video);
    await video.play();
    keepReading();
  };

  this.pause = function () {
    running = false;
    video.pause();
  };

  this.resume = async function () {
    await video.play();
    keepReading();
  };

  this.stop = function () {
    this.pause();
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    container.replaceChildren();
  };
}
