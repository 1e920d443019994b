// The lesson player: hls.js on a bundle's master playlist (fMP4 by byte range), or the browser's
// own HLS (Safari). Shared by the teacher's preview and the classroom page.
//
//   const player = attachPlayer(videoElement, '/bundles/ID/master.m3u8',
//                               { onError, startPosition, hlsConfig, onLevels });
//   player.levels()      -> [{ index, height, bitrate, name }]  renditions in the playlist ("240p", "audio")
//   player.setLevel(i)   -> pick one (-1 = automatic)
//   player.rendition()   -> the name of the rendition playing now ("" when unknown)
//   player.destroy()
import Hls from 'hls.js';

// "https://x/lessons/ID/240p.m3u8" -> "240p".
function renditionOf(url) {
  const file = String(url || '').split('?')[0].split('/').pop();
  return file.replace(/\.m3u8$/, '');
}

export function attachPlayer(video, src, { onError = () => {}, startPosition = -1, hlsConfig = {}, onLevels = () => {} } = {}) {
  if (Hls.isSupported()) {
    const hls = new Hls({ startPosition, capLevelToPlayerSize: true, enableWorker: true, ...hlsConfig });
    const levels = () => hls.levels.map((l, index) => ({
      index, height: l.height, bitrate: l.bitrate, name: renditionOf(Array.isArray(l.url) ? l.url[0] : l.url) || l.name,
    }));
    let recoveries = 0;
    hls.on(Hls.Events.MANIFEST_PARSED, () => onLevels(levels()));
    hls.on(Hls.Events.ERROR, (_, data) => {
      if (!data.fatal) return;
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR && recoveries++ < 2) {
        hls.recoverMediaError();
        return;
      }
      if (data.type === Hls.ErrorTypes.NETWORK_ERROR && recoveries++ < 3) {
        hls.startLoad();
        return;
      }
      onError(new Error(`视频无法播放（${data.details}）`));
    });
    hls.loadSource(src);
    hls.attachMedia(video);
    return {
      hls,
      levels,
      setLevel: (i) => {
        hls.currentLevel = i;
      },
      rendition: () => {
        const all = levels();
        const i = hls.currentLevel >= 0 ? hls.currentLevel : hls.loadLevel;
        return all[i] ? all[i].name : '';
      },
      destroy: () => hls.destroy(),
    };
  }
  if (video.canPlayType('application/vnd.apple.mpegurl')) {
    video.src = src;
    if (startPosition > 0) video.currentTime = startPosition;
    return {
      hls: null,
      levels: () => [],
      setLevel: () => {},
      rendition: () => '',
      destroy: () => {
        video.removeAttribute('src');
        video.load();
      },
    };
  }
  onError(new Error('此浏览器不能播放 HLS 视频，请换用较新的浏览器'));
  return { hls: null, levels: () => [], setLevel: () => {}, rendition: () => '', destroy: () => {} };
}
