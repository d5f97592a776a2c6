"""Strings of time replay (the replay bar on the desk and the wall). key -> (zh, en)."""

TEXT: dict[str, tuple[str, str]] = {
    "replay.title": ("时间回放", "Time replay"),
    "replay.banner": ("回放中", "REPLAY"),
    "replay.live_badge": ("实时", "LIVE"),
    "replay.play": ("播放", "Play"),
    "replay.pause": ("暂停", "Pause"),
    "replay.speed": ("速度", "Speed"),
    "replay.back": ("回到实时", "Back to live"),
    "replay.now": ("现在", "Now"),
    "replay.days_ago": ("{n}天前", "{n} d ago"),
    "replay.failed": ("回放数据加载失败", "Replay data failed to load"),
}
