#pragma once
// A critical alert: a frameless, always-on-top window covering the whole screen, which
// stays until the employee presses the dismiss button (then the program sends
// `displayed`). It raises itself again every second, so no other window hides it.
#include <QTimer>
#include <QWidget>
#include <functional>
#include <nlohmann/json.hpp>

namespace herald::desktop {

class CriticalWindow : public QWidget {
  Q_OBJECT
 public:
  CriticalWindow(const nlohmann::json& row, std::function<void()> on_dismiss);
  void present();  // full screen on the primary screen, on top, focused

  static constexpr unsigned kBackground = 0xB00020;  // the tests look for this colour

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  std::function<void()> on_dismiss_;
  QTimer raise_;
  bool dismissed_ = false;
};

}  // namespace herald::desktop
