// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QDialog>

class QDialogButtonBox;
class QLabel;
class QPushButton;
class QRadioButton;
class QSpinBox;

namespace Sluice {

/** What a reconciliation would cost, computed before anything is read. */
struct ReconcileForecast
{
    qint64 sample = 0;           ///< 0 = every key
    qint64 records = 0;          ///< records that would be read back
    qint64 calls = 0;            ///< forecast fetch calls
    qint64 budgetAvailable = -1; ///< calls left before the reserve, -1 = no known budget
    QString error;               ///< the forecast itself failed
};

/**
 * "Reconcile…": every key or a random sample of N, with the forecast API calls against
 * the remaining budget. Asks for the forecast (forecastRequested) whenever the choice
 * changes; the Reconcile button is enabled once a forecast within budget arrived.
 */
class ReconcileDialog : public QDialog
{
    Q_OBJECT

public:
    explicit ReconcileDialog(const QString &sync, QWidget *parent = nullptr);

    /** 0 = every key, else the sample size. */
    [[nodiscard]] qint64 sample() const;
    void setSample(qint64 sample);
    /** The page hands the forecast back; ignored when the choice changed since. */
    void setForecast(const ReconcileForecast &forecast);
    [[nodiscard]] bool hasForecast() const { return m_hasForecast; }
    [[nodiscard]] ReconcileForecast forecast() const { return m_forecast; }

    [[nodiscard]] QRadioButton *allButton() const { return m_all; }
    [[nodiscard]] QRadioButton *sampleButton() const { return m_sampled; }
    [[nodiscard]] QSpinBox *sampleSize() const { return m_size; }
    [[nodiscard]] QLabel *forecastLabel() const { return m_label; }
    [[nodiscard]] QPushButton *reconcileButton() const { return m_reconcile; }

Q_SIGNALS:
    void forecastRequested(qint64 sample);

private:
    void choiceChanged();

    QRadioButton *m_all;
    QRadioButton *m_sampled;
    QSpinBox *m_size;
    QLabel *m_label;
    QDialogButtonBox *m_buttons;
    QPushButton *m_reconcile;
    ReconcileForecast m_forecast;
    bool m_hasForecast = false;
};

} // namespace Sluice
